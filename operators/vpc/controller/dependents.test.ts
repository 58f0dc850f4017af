import { describe, expect, it } from '@jest/globals';
import { Cache } from '../../../controllers/informer/index.ts';
import { objectKey } from '../../../controllers/kube/index.ts';
import type { NetworkACLObject, SecurityGroupObject, SubnetObject } from '../api/index.ts';
import { networkAclOf } from '../backend/bindings.ts';
import {
  aclsOfSubnet,
  aclsSharingSubnets,
  groupsNaming,
  groupsOfVpc,
  networkAclIndexers,
  securityGroupIndexers,
} from './dependents.ts';

/** A small deterministic generator, so a failure names a case that can be run again. */
function rng(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % n;
  };
}

let uids = 0;

function group(ns: string, name: string, vpc: string, remotes: string[]): SecurityGroupObject {
  return {
    apiVersion: 'vpc.kcloud.io/v1alpha1',
    kind: 'SecurityGroup',
    metadata: { namespace: ns, name, uid: `uid-${String(++uids)}`, generation: 1 },
    spec: {
      vpcRef: { name: vpc },
      rules: remotes.map((r, i) => ({
        name: `r${String(i)}`,
        direction: 'Ingress',
        protocol: 'TCP',
        remoteSecurityGroupRef: { name: r },
      })),
    },
  };
}

function acl(ns: string, name: string, subnets: string[], created: number): NetworkACLObject {
  return {
    apiVersion: 'vpc.kcloud.io/v1alpha1',
    kind: 'NetworkACL',
    metadata: {
      namespace: ns,
      name,
      uid: `uid-${String(++uids)}`,
      creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, created)).toISOString(),
    },
    spec: { subnetRefs: subnets.map((s) => ({ name: s })), rules: [] },
  } as unknown as NetworkACLObject;
}

const subnet = (ns: string, name: string) =>
  ({ metadata: { namespace: ns, name } }) as unknown as SubnetObject;

/**
 * What a SecurityGroup's reconcile reads of the other groups: for each rule, the uid and VPC of
 * the group it names (or nothing). A change that alters this for a group must requeue it.
 */
function groupView(g: SecurityGroupObject, groups: Cache<SecurityGroupObject>): string {
  return JSON.stringify(
    (g.spec.rules ?? []).map((r) => {
      const other = groups.get(
        `${g.metadata.namespace ?? ''}/${r.remoteSecurityGroupRef?.name ?? ''}`,
      );
      return other ? [other.metadata.uid, other.spec.vpcRef.name] : null;
    }),
  );
}

/** What a NetworkACL's reconcile reads of the others: which one holds each Subnet it names. */
function aclView(a: NetworkACLObject, acls: Cache<NetworkACLObject>): string {
  const ns = a.metadata.namespace ?? '';
  return JSON.stringify(
    a.spec.subnetRefs.map(
      (r) => networkAclOf(subnet(ns, r.name), acls.inNamespace(ns))?.metadata.uid,
    ),
  );
}

/**
 * Applies `change` (new object, or undefined to delete `key`) to the cache and checks that every
 * object whose view changed is among the keys the watch maps the change to (old and new state,
 * as the Controller maps an update), other than the changed object itself.
 */
function checkChange<T extends SecurityGroupObject | NetworkACLObject>(
  cache: Cache<T>,
  key: string,
  change: T | undefined,
  view: (o: T) => string,
  map: (o: T) => string[],
): string[] {
  const before = new Map(cache.list().map((o) => [objectKey(o), view(o)]));
  const old = cache.get(key);
  const mapped = new Set(old ? map(old) : []);
  if (change) cache.upsert(change);
  else cache.remove(key);
  if (change) for (const k of map(change)) mapped.add(k);
  const missed: string[] = [];
  for (const o of cache.list()) {
    const k = objectKey(o);
    if (k === key) continue;
    if (before.get(k) !== view(o) && !mapped.has(k)) missed.push(k);
  }
  return missed;
}

describe('SecurityGroup dependents', () => {
  it('maps a group to the groups naming it and a VPC to its groups, within the namespace', () => {
    const groups = new Cache<SecurityGroupObject>(securityGroupIndexers);
    groups.upsert(group('a', 'web', 'v', []));
    groups.upsert(group('a', 'db', 'v', ['web', 'web', 'app']));
    groups.upsert(group('a', 'ops', 'w', ['db']));
    groups.upsert(group('b', 'db', 'v', ['web']));
    const web = groups.get('a/web');
    if (!web) throw new Error('no a/web');
    expect(groupsNaming(groups, web)).toEqual(['a/db']);
    // A group named before it exists.
    expect(groupsNaming(groups, group('a', 'app', 'v', []))).toEqual(['a/db']);
    expect(groupsOfVpc(groups, { metadata: { namespace: 'a', name: 'v' } }).sort()).toEqual([
      'a/db',
      'a/web',
    ]);
    // Rules dropped: the index follows.
    groups.upsert(group('a', 'db', 'v', []));
    expect(groupsNaming(groups, web)).toEqual([]);
  });

  it('requeues every group whose rules read a changed group (random changes)', () => {
    const next = rng(7);
    const names = Array.from({ length: 40 }, (_, i) => `g${String(i)}`);
    const groups = new Cache<SecurityGroupObject>(securityGroupIndexers);
    const random = (ns: string, name: string) =>
      group(
        ns,
        name,
        `v${String(next(2))}`,
        Array.from({ length: next(4) }, () => names[next(names.length)] ?? ''),
      );
    for (const ns of ['a', 'b']) for (const n of names) groups.upsert(random(ns, n));
    const missed: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      const ns = next(2) === 0 ? 'a' : 'b';
      const name = names[next(names.length)] ?? '';
      // Deleted, recreated with a new uid (and maybe another VPC), or its rules changed.
      const change = next(5) === 0 ? undefined : random(ns, name);
      missed.push(
        ...checkChange(
          groups,
          `${ns}/${name}`,
          change,
          (g) => groupView(g, groups),
          (g) => groupsNaming(groups, g),
        ),
      );
    }
    expect(missed).toEqual([]);
  });
});

describe('NetworkACL dependents', () => {
  it('maps a Subnet to the NetworkACLs naming it, and a NetworkACL to the others sharing one', () => {
    const acls = new Cache<NetworkACLObject>(networkAclIndexers);
    acls.upsert(acl('a', 'edge', ['s1', 's2'], 1));
    acls.upsert(acl('a', 'late', ['s2'], 2));
    acls.upsert(acl('a', 'other', ['s3'], 3));
    acls.upsert(acl('b', 'edge', ['s2'], 1));
    expect(aclsOfSubnet(acls, subnet('a', 's2')).sort()).toEqual(['a/edge', 'a/late']);
    const edge = acls.get('a/edge');
    if (!edge) throw new Error('no a/edge');
    expect(aclsSharingSubnets(acls, edge)).toEqual(['a/late']);
  });

  it('requeues every NetworkACL whose Subnet changes hands (random changes)', () => {
    const next = rng(11);
    const subnets = Array.from({ length: 8 }, (_, i) => `s${String(i)}`);
    const names = Array.from({ length: 30 }, (_, i) => `n${String(i)}`);
    const acls = new Cache<NetworkACLObject>(networkAclIndexers);
    let t = 0;
    const random = (ns: string, name: string) => {
      const a = acl(
        ns,
        name,
        [
          ...new Set(
            Array.from({ length: 1 + next(3) }, () => subnets[next(subnets.length)] ?? ''),
          ),
        ],
        // Recreated objects are younger; a kept one keeps its age.
        (t += 1),
      );
      const kept = acls.get(`${ns}/${name}`);
      if (kept && next(2) === 0) {
        a.metadata.creationTimestamp = kept.metadata.creationTimestamp;
        a.metadata.uid = kept.metadata.uid;
      }
      if (next(6) === 0) a.metadata.deletionTimestamp = '2026-01-02T00:00:00Z';
      return a;
    };
    for (const ns of ['a', 'b']) for (const n of names) acls.upsert(random(ns, n));
    const missed: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      const ns = next(2) === 0 ? 'a' : 'b';
      const name = names[next(names.length)] ?? '';
      const change = next(5) === 0 ? undefined : random(ns, name);
      missed.push(
        ...checkChange(
          acls,
          `${ns}/${name}`,
          change,
          (a) => aclView(a, acls),
          (a) => aclsSharingSubnets(acls, a),
        ),
      );
    }
    expect(missed).toEqual([]);
  });
});
