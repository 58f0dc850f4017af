// Tenant access on the real API server with kcloud's tenant roles installed: a
// TenantRoleBinding grants its role in every project of the tenant and its sub-tenants and in no
// other namespace, follows a project that moves to another tenant, and is gone with the
// binding. Access is checked with real requests made as the users (impersonated, as the API
// server's own tests do) and with the API server's rules review.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { productKinds } from '../../../operators/kinds.ts';
import {
  bindingName,
  catalogKinds,
  tenantClusterRoles,
  addTenantAccessController,
} from '../../../operators/platform/access/index.ts';
import { tenantLabel } from '../../../operators/platform/api/index.ts';
import { startManager, useTestCluster, waitFor, type RunningManager } from '../../harness/index.ts';

const cluster = useTestCluster('access');
let running: RunningManager | undefined;
let ns = '';
const names = () => ({
  a: `${ns}-a`,
  a1: `${ns}-a1`,
  b: `${ns}-b`,
  pa: `${ns}-pa`,
  pa1: `${ns}-pa1`,
  pb: `${ns}-pb`,
  alice: `alice-${ns}`,
  bob: `bob-${ns}`,
  carl: `carl-${ns}`,
});
const namespaced = productKinds.filter((k) => k.resource.namespaced);
const resourceOf = (k: (typeof productKinds)[number]) => `${k.plural}.${k.group}`;

const kube = async (args: string[], input?: string) => cluster.kubectl(args, input);
const as = (user: string) => [`--as=${user}`, '--as-group=system:authenticated'];

/** Whether a real request of `user` is allowed (Forbidden is a no; anything else fails the test). */
async function allowed(user: string, args: string[]): Promise<boolean> {
  const r = await kube([...args, ...as(user)]);
  if (r.code === 0) return true;
  if (/forbidden/i.test(r.stderr)) return false;
  throw new Error(`kubectl ${args.join(' ')} as ${user}: ${r.stderr}`);
}

/** The resources a user's rules allow anything on in a namespace (the API server's review). */
async function rulesIn(user: string, namespace: string): Promise<string[]> {
  const r = await kube(['auth', 'can-i', '--list', '-n', namespace, ...as(user)]);
  if (r.code !== 0) throw new Error(`can-i --list: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((l) => l !== '');
}

const trb = (name: string, tenant: string, role: string, user: string) =>
  stringify({
    apiVersion: 'platform.kcloud.io/v1alpha1',
    kind: 'TenantRoleBinding',
    metadata: { name },
    spec: { tenantRef: { name: tenant }, role, subjects: [{ kind: 'User', name: user }] },
  });

beforeAll(async () => {
  ns = cluster.namespace;
  const n = names();
  const roles = tenantClusterRoles(productKinds)
    .map((o) => stringify(o))
    .join('---\n');
  const applied = await kube(['apply', '-f', '-'], roles);
  if (applied.code !== 0) throw new Error(`applying the tenant roles: ${applied.stderr}`);
  const tenants = [{ name: n.a }, { name: n.a1, parent: n.a }, { name: n.b }]
    .map((t) =>
      stringify({
        apiVersion: 'platform.kcloud.io/v1alpha1',
        kind: 'Tenant',
        metadata: { name: t.name },
        spec: t.parent ? { parentRef: { name: t.parent } } : {},
      }),
    )
    .join('---\n');
  const made = await kube(['apply', '-f', '-'], tenants);
  if (made.code !== 0) throw new Error(`tenants: ${made.stderr}`);
  for (const [project, tenant] of [
    [n.pa, n.a],
    [n.pa1, n.a1],
    [n.pb, n.b],
  ] as const) {
    const r = await kube(['create', 'namespace', project]);
    if (r.code !== 0) throw new Error(r.stderr);
    await kube(['label', 'namespace', project, `${tenantLabel}=${tenant}`, 'kcloud.io/test=true']);
  }
  // A manager that watches one namespace (none of the projects) still keeps the projects'
  // bindings: tenant access is cluster-wide by nature.
  running = await startManager(
    (mgr) => {
      addTenantAccessController(mgr);
    },
    { namespace: ns },
  );
}, 120_000);

afterAll(async () => {
  await running?.stop();
  const n = names();
  for (const t of ['alice', 'bob', 'carl']) {
    await kube(['delete', 'tenantrolebinding', `${ns}-${t}`, '--ignore-not-found', '--wait=false']);
  }
  await kube(['delete', 'namespace', n.pa, n.pa1, n.pb, '--ignore-not-found', '--wait=false']);
  await kube(['delete', 'tenant', n.a1, n.a, n.b, '--ignore-not-found', '--wait=false']);
});

describe('tenant access', () => {
  it("grants a member its tenant's projects and sub-tenants' projects, and nothing of another tenant, Secrets included", async () => {
    const n = names();
    await kube(['apply', '-f', '-'], trb(`${ns}-alice`, n.a, 'member', n.alice));
    await kube(['apply', '-f', '-'], trb(`${ns}-bob`, n.b, 'viewer', n.bob));
    await kube(['apply', '-f', '-'], trb(`${ns}-carl`, n.a, 'auditor', n.carl));
    // The roles' rules arrive through the aggregation controller, the bindings through kcloud.
    await waitFor(() => allowed(n.alice, ['get', 'vpcs.vpc.kcloud.io', '-n', n.pa1]), {
      timeoutMs: 60_000,
      what: `${n.alice} allowed to list VPCs in ${n.pa1}`,
    });
    const status = await cluster.read({
      apiVersion: 'platform.kcloud.io/v1alpha1',
      kind: 'TenantRoleBinding',
      name: `${ns}-alice`,
      namespace: '',
    });
    expect((status.status as { namespaces?: string[] }).namespaces).toEqual([n.pa, n.pa1].sort());

    // Every kcloud kind: listed in A's projects, never in B's.
    for (const k of namespaced) {
      expect([k.kind, await allowed(n.alice, ['get', resourceOf(k), '-n', n.pa])]).toEqual([
        k.kind,
        true,
      ]);
      expect([k.kind, await allowed(n.alice, ['get', resourceOf(k), '-n', n.pb])]).toEqual([
        k.kind,
        false,
      ]);
    }
    expect(await allowed(n.alice, ['get', 'secrets', '-n', n.pa])).toBe(true);
    expect(await allowed(n.alice, ['get', 'secrets', '-n', n.pb])).toBe(false);
    expect(await allowed(n.alice, ['get', 'vpcs.vpc.kcloud.io', '-A'])).toBe(false);
    // The API server's own rules review: nothing at all for alice in B's project (list, get,
    // watch or anything else; Secrets included), beyond what every authenticated user has and
    // the cluster-wide catalog every tenant reads.
    const catalog = productKinds
      .filter((k) => (catalogKinds as readonly string[]).includes(k.kind))
      .map(resourceOf);
    expect(catalog).toHaveLength(catalogKinds.length);
    const inB = await rulesIn(n.alice, n.pb);
    expect(
      inB.filter((r) => (r.includes('kcloud.io') || r === 'secrets') && !catalog.includes(r)),
    ).toEqual([]);
    const inA = await rulesIn(n.alice, n.pa);
    expect(inA).toEqual(expect.arrayContaining(['secrets', ...namespaced.map(resourceOf)]));

    // A member creates; a viewer and an auditor read and change nothing, Secrets unread.
    const vpc = (namespace: string) =>
      stringify({
        apiVersion: 'vpc.kcloud.io/v1alpha1',
        kind: 'VPC',
        metadata: { name: 'main', namespace },
        spec: { cidrBlocks: ['10.0.0.0/16'] },
      });
    expect((await kube(['create', '-f', '-', ...as(n.alice)], vpc(n.pa))).code).toBe(0);
    const bobCreates = await kube(['create', '-f', '-', ...as(n.bob)], vpc(n.pb));
    expect(bobCreates.stderr).toMatch(/forbidden/i);
    expect(await allowed(n.bob, ['get', 'vpcs.vpc.kcloud.io', '-n', n.pb])).toBe(true);
    expect(await allowed(n.bob, ['get', 'secrets', '-n', n.pb])).toBe(false);
    expect(await allowed(n.carl, ['get', 'vpcs.vpc.kcloud.io', 'main', '-n', n.pa])).toBe(true);
    expect(await allowed(n.carl, ['delete', 'vpcs.vpc.kcloud.io', 'main', '-n', n.pa])).toBe(false);
    expect(await allowed(n.carl, ['get', 'secrets', '-n', n.pa])).toBe(false);
    // The catalog is readable by every role; tenants' infrastructure is not.
    expect(await allowed(n.bob, ['get', 'flavors.ecs.kcloud.io'])).toBe(true);
    expect(await allowed(n.bob, ['get', 'hosts.ecs.kcloud.io'])).toBe(false);
  }, 180_000);

  it('follows a project to another tenant, and takes everything away with the binding', async () => {
    const n = names();
    await kube(['label', 'namespace', n.pa1, `${tenantLabel}=${n.b}`, '--overwrite']);
    await waitFor(
      async () =>
        !(await allowed(n.alice, ['get', 'vpcs.vpc.kcloud.io', '-n', n.pa1])) &&
        (await allowed(n.bob, ['get', 'vpcs.vpc.kcloud.io', '-n', n.pa1])),
      { timeoutMs: 60_000, what: `${n.pa1} moved from ${n.alice}'s tenant to ${n.bob}'s` },
    );
    expect(await allowed(n.alice, ['get', 'vpcs.vpc.kcloud.io', '-n', n.pa])).toBe(true);

    // Deleted: no binding of it left, in any namespace or cluster-wide.
    await kube(['delete', 'tenantrolebinding', `${ns}-alice`, '--timeout=60s']);
    const left = await kube([
      'get',
      'rolebindings,clusterrolebindings',
      '-A',
      '-l',
      `platform.kcloud.io/tenant-role-binding=${ns}-alice`,
      '-o',
      'name',
    ]);
    expect(left.stdout.trim()).toBe('');
    expect((await kube(['get', 'clusterrolebinding', bindingName(`${ns}-alice`)])).code).not.toBe(
      0,
    );
    expect(await allowed(n.alice, ['get', 'vpcs.vpc.kcloud.io', '-n', n.pa])).toBe(false);
  }, 180_000);
});
