// Which cross-object problems an object waits out and which it is refused for: a referent that
// does not exist yet or is not Ready yet is a WaitingError (Pending, no error, no backoff);
// a conflict a human must settle stays a ReconcileError.
import { describe, expect, it } from '@jest/globals';
import { ReconcileError, WaitingError } from '../../../controllers/external/index.ts';
import { Cache } from '../../../controllers/informer/index.ts';
import type {
  NetworkInterfaceObject,
  RouteTableObject,
  RouteTableSpec,
  SecurityGroupObject,
  SecurityGroupSpec,
  SubnetObject,
  VPCObject,
} from '../api/index.ts';
import type { NbClient } from '../ovn/nb/index.ts';
import { checkSubnetRange, readySubnet, vpcOf } from './references.ts';
import { RouteTableBackend } from './route-table-backend.ts';
import { SecurityGroupBackend } from './security-group-backend.ts';

const apiVersion = 'vpc.kcloud.io/v1alpha1';
interface Status {
  conditions: { type: string; status: 'True' | 'False' }[];
}
const ready: Status = { conditions: [{ type: 'Ready', status: 'True' }] };
const notReady: Status = { conditions: [{ type: 'Ready', status: 'False' }] };

const meta = (name: string, extra: object = {}) => ({
  name,
  namespace: 'ns',
  uid: `uid-${name}`,
  creationTimestamp: '2026-01-01T00:00:00Z',
  ...extra,
});

const vpc = (name: string, status: Status = ready): VPCObject =>
  ({
    apiVersion,
    kind: 'VPC',
    metadata: meta(name),
    spec: { cidrBlocks: ['10.0.0.0/16'] },
    status,
  }) as VPCObject;

const subnet = (name: string, cidr: string, status: Status = ready, extra = {}): SubnetObject =>
  ({
    apiVersion,
    kind: 'Subnet',
    metadata: meta(name, extra),
    spec: { vpcRef: { name: 'v' }, cidrBlock: cidr },
    status,
  }) as SubnetObject;

const nic = (name: string, status?: object): NetworkInterfaceObject => ({
  apiVersion,
  kind: 'NetworkInterface',
  metadata: meta(name),
  spec: { subnetRef: { name: 'a' } },
  ...(status ? { status } : {}),
});

const table = (routes: RouteTableSpec['routes']): RouteTableObject => ({
  apiVersion,
  kind: 'RouteTable',
  metadata: meta('rt'),
  spec: { vpcRef: { name: 'v' }, subnetRefs: [{ name: 'a' }], routes },
});

const group = (name: string, spec: Partial<SecurityGroupSpec> = {}): SecurityGroupObject => ({
  apiVersion,
  kind: 'SecurityGroup',
  metadata: meta(name),
  spec: { vpcRef: { name: 'v' }, ...spec },
});

function cacheOf<T extends { metadata: { namespace?: string; name?: string } }>(
  ...objs: T[]
): Cache<T> {
  const cache = new Cache<T>();
  for (const o of objs) cache.upsert(o);
  return cache;
}

type Outcome = { wait: string } | { refuse: string; retry: boolean };

/** A wait or a refusal, with its reason; anything else is rethrown. */
function classify(err: unknown): Outcome {
  if (err instanceof WaitingError) return { wait: err.reason };
  if (err instanceof ReconcileError) return { refuse: err.reason, retry: err.retry };
  throw err;
}

function outcome(call: () => unknown): Outcome {
  try {
    call();
  } catch (err) {
    return classify(err);
  }
  throw new Error('nothing was thrown');
}

async function asyncOutcome(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    await call();
  } catch (err) {
    return classify(err);
  }
  throw new Error('nothing was thrown');
}

/** The backends below throw before they touch OVN; any use of it fails the test. */
const noNb = new Proxy({} as NbClient, {
  get: (_t, prop) => {
    throw new Error(`OVN was used (${String(prop)}) before the references were checked`);
  },
});

describe('a Subnet another object names', () => {
  it('is waited for while missing, not Ready or being deleted', () => {
    const deleting = subnet('d', '10.0.3.0/24', ready, {
      deletionTimestamp: '2026-01-01T00:01:00Z',
    });
    const subnets = cacheOf(subnet('n', '10.0.2.0/24', notReady), deleting);
    expect(outcome(() => readySubnet(subnets, 'ns', 'missing'))).toEqual({
      wait: 'SubnetNotFound',
    });
    expect(outcome(() => readySubnet(subnets, 'ns', 'n'))).toEqual({ wait: 'SubnetNotReady' });
    expect(outcome(() => readySubnet(subnets, 'ns', 'd'))).toEqual({ wait: 'SubnetNotReady' });
    expect(() => readySubnet(cacheOf(subnet('a', '10.0.1.0/24')), 'ns', 'a')).not.toThrow();
  });
});

describe("a Subnet's VPC", () => {
  it('is waited for while missing or not Ready', () => {
    const s = subnet('a', '10.0.1.0/24');
    expect(outcome(() => vpcOf(s, cacheOf<VPCObject>()))).toEqual({ wait: 'VPCNotFound' });
    expect(outcome(() => vpcOf(s, cacheOf(vpc('v', notReady))))).toEqual({
      wait: 'VPCNotReady',
    });
  });

  it('refuses a range outside it or over another Subnet: that needs an edit', () => {
    const outside = subnet('o', '10.9.0.0/24');
    expect(
      outcome(() => {
        checkSubnetRange(outside, vpc('v'), cacheOf(outside));
      }),
    ).toEqual({
      refuse: 'CIDROutsideVPC',
      retry: false,
    });
    const first = subnet('a', '10.0.1.0/24');
    const over = subnet('b', '10.0.1.0/25', notReady);
    expect(
      outcome(() => {
        checkSubnetRange(over, vpc('v'), cacheOf(first, over));
      }),
    ).toEqual({
      refuse: 'CIDROverlap',
      retry: false,
    });
  });
});

describe('a RouteTable', () => {
  const backend = (vpcs: VPCObject[], subnets: SubnetObject[], nics: NetworkInterfaceObject[]) =>
    new RouteTableBackend(noNb, {
      vpcs: cacheOf(...vpcs),
      subnets: cacheOf(...subnets),
      interfaces: cacheOf(...nics),
      tables: cacheOf<RouteTableObject>(),
    });
  const a = subnet('a', '10.0.1.0/24');
  const toNic = table([{ destination: '0.0.0.0/0', nextHopInterfaceRef: { name: 'fw' } }]);
  const toIp = (ip: string) => table([{ destination: '0.0.0.0/0', nextHopIP: ip }]);

  it('waits for its VPC, its Subnets and the interface its route sends to', async () => {
    expect(await asyncOutcome(() => backend([], [a], []).create(toNic))).toEqual({
      wait: 'VPCNotFound',
    });
    expect(await asyncOutcome(() => backend([vpc('v', notReady)], [a], []).create(toNic))).toEqual({
      wait: 'VPCNotReady',
    });
    expect(await asyncOutcome(() => backend([vpc('v')], [], []).create(toNic))).toEqual({
      wait: 'SubnetNotFound',
    });
    expect(await asyncOutcome(() => backend([vpc('v')], [a], []).create(toNic))).toEqual({
      wait: 'InterfaceNotFound',
    });
    expect(await asyncOutcome(() => backend([vpc('v')], [a], [nic('fw')]).create(toNic))).toEqual({
      wait: 'InterfaceNotReady',
    });
    const noAddress = nic('fw', ready);
    expect(await asyncOutcome(() => backend([vpc('v')], [a], [noAddress]).create(toNic))).toEqual({
      wait: 'InterfaceNotReady',
    });
  });

  it('waits for the Subnet its next hop lies in to be Ready, and refuses one in no Subnet', async () => {
    const b = subnet('b', '10.0.2.0/24', notReady);
    expect(
      await asyncOutcome(() => backend([vpc('v')], [a, b], []).create(toIp('10.0.2.5'))),
    ).toEqual({ wait: 'SubnetNotReady' });
    expect(
      await asyncOutcome(() => backend([vpc('v')], [a, b], []).create(toIp('10.0.9.5'))),
    ).toEqual({ refuse: 'NextHopNotInVPC', retry: false });
    expect(
      await asyncOutcome(() => backend([vpc('v')], [a, b], []).create(toIp('10.0.1.1'))),
    ).toEqual({ refuse: 'NextHopReserved', retry: false });
  });
});

describe('a SecurityGroup', () => {
  const backend = (vpcs: VPCObject[], groups: SecurityGroupObject[]) =>
    new SecurityGroupBackend(
      noNb,
      cacheOf(...groups),
      cacheOf<NetworkInterfaceObject>(),
      cacheOf(...vpcs),
    );
  const fromAdmins = group('web', {
    rules: [
      {
        name: 'from-admins',
        direction: 'Ingress',
        protocol: 'TCP',
        remoteSecurityGroupRef: { name: 'admins' },
      },
    ],
  });

  it('waits for its VPC and for a group a rule names', async () => {
    expect(await asyncOutcome(() => backend([], [fromAdmins]).create(fromAdmins))).toEqual({
      wait: 'VPCNotFound',
    });
    expect(await asyncOutcome(() => backend([vpc('v')], [fromAdmins]).create(fromAdmins))).toEqual({
      wait: 'SecurityGroupNotFound',
    });
  });

  it('refuses a rule naming a group of another VPC', async () => {
    const elsewhere = { ...group('admins'), spec: { vpcRef: { name: 'other' } } };
    expect(
      await asyncOutcome(() => backend([vpc('v')], [fromAdmins, elsewhere]).create(fromAdmins)),
    ).toEqual({ refuse: 'SecurityGroupNotInVPC', retry: false });
  });
});
