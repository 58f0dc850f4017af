import { describe, expect, it } from '@jest/globals';
import { ReconcileError, WaitingError } from '../../../controllers/external/index.ts';
import type { KubeObject } from '../../../controllers/kube/index.ts';
import type { NetworkInterfaceObject, SubnetObject, VPCObject } from '../../vpc/index.ts';
import type { LoadBalancerObject } from '../api/index.ts';
import { placement, resolveMembers, type Caches, type InstanceView } from './references.ts';

const ready = { conditions: [{ type: 'Ready', status: 'True' }] };
const meta = (name: string) => ({ name, namespace: 'ns', uid: `uid-${name}` });

const vpc = (name: string, cidr: string, routerName?: string) =>
  ({
    metadata: meta(name),
    spec: { cidrBlocks: [cidr] },
    status: { ...ready, ...(routerName ? { routerName } : {}) },
  }) as unknown as VPCObject;
const subnet = (name: string, vpcName: string, cidr: string) =>
  ({
    metadata: meta(name),
    spec: { vpcRef: { name: vpcName }, cidrBlock: cidr },
    status: { ...ready, switchName: `ls-${name}` },
  }) as unknown as SubnetObject;
const nic = (name: string, subnetName: string, ip: string) =>
  ({
    metadata: meta(name),
    spec: { subnetRef: { name: subnetName } },
    status: { ...ready, ipAddress: ip, portName: `lsp-${name}` },
  }) as unknown as NetworkInterfaceObject;

function cache<T extends KubeObject>(objs: T[]) {
  return {
    get: (key: string) => objs.find((o) => `ns/${o.metadata.name ?? ''}` === key),
    inNamespace: () => objs,
  };
}

const caches = (instances: InstanceView[] = []): Caches => ({
  vpcs: cache([vpc('v1', '10.0.0.0/16', 'lr-v1'), vpc('v2', '10.9.0.0/16', 'lr-v2')]),
  subnets: cache([
    subnet('s1', 'v1', '10.0.1.0/24'),
    subnet('s2', 'v1', '10.0.2.0/24'),
    subnet('o1', 'v2', '10.9.1.0/24'),
  ]),
  nics: cache([nic('a', 's1', '10.0.1.5'), nic('b', 's2', '10.0.2.5'), nic('x', 'o1', '10.9.1.5')]),
  instances: cache(instances),
});

const lb = (members: object[]): LoadBalancerObject =>
  ({
    metadata: meta('lb'),
    spec: {
      subnetRef: { name: 's1' },
      listeners: [{ name: 'l', protocol: 'TCP', port: 80, backendPool: 'p' }],
      backendPools: [{ name: 'p', members }],
    },
  }) as unknown as LoadBalancerObject;

const resolve = (members: object[], c = caches()) => {
  const l = lb(members);
  return resolveMembers(c, l, placement(c, l)).get('p');
};

describe('LoadBalancer references', () => {
  it('places it on its VPC router and the switch of every Subnet of that VPC', () => {
    const c = caches();
    expect(placement(c, lb([]))).toMatchObject({
      routerName: 'lr-v1',
      switchNames: ['ls-s1', 'ls-s2'],
    });
  });

  it('resolves interfaces, instances (their interface in the VPC) and addresses', () => {
    const vm = {
      metadata: meta('vm'),
      status: {
        interfaces: [
          { name: 'other', networkInterface: 'x' },
          { name: 'eth1', networkInterface: 'b' },
        ],
      },
    } as InstanceView;
    expect(
      resolve(
        [
          { networkInterfaceRef: { name: 'a' }, port: 8080 },
          { instanceRef: { name: 'vm' }, port: 8080, drain: true, weight: 3 },
          { ip: '10.0.3.7', port: 53 },
        ],
        caches([vm]),
      ),
    ).toEqual([
      {
        pool: 'p',
        target: 'NetworkInterface/a',
        ip: '10.0.1.5',
        port: 8080,
        drain: false,
        weight: 1,
        logicalPort: 'lsp-a',
      },
      {
        pool: 'p',
        target: 'Instance/vm',
        ip: '10.0.2.5',
        port: 8080,
        drain: true,
        weight: 3,
        logicalPort: 'lsp-b',
      },
      { pool: 'p', target: '10.0.3.7', ip: '10.0.3.7', port: 53, drain: false, weight: 1 },
    ]);
  });

  it('refuses weights finer than OVN is given shares for, naming the pool', () => {
    // 1 and 100 share no divisor: 201 shares of the three members below, 301 of the four.
    const three = [
      { ip: '10.0.3.7', port: 53, weight: 1 },
      { ip: '10.0.3.8', port: 53, weight: 100 },
      { ip: '10.0.3.9', port: 53, weight: 100 },
    ];
    expect(resolve(three)?.length).toBe(3);
    let err: unknown;
    try {
      resolve([...three, { ip: '10.0.3.10', port: 53, weight: 100 }]);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ reason: 'WeightsTooFine' });
    expect((err as Error).message).toContain('backend pool p');
    // A drained member takes no share: 100s alone are one share each.
    expect(
      resolve([
        { ip: '10.0.3.7', port: 53, weight: 1, drain: true },
        ...three.slice(1),
        { ip: '10.0.3.10', port: 53, weight: 100 },
      ])?.length,
    ).toBe(4);
  });

  it('refuses members outside the VPC, before waiting for any that are missing', () => {
    for (const m of [
      { networkInterfaceRef: { name: 'x' }, port: 80 },
      { ip: '10.9.1.5', port: 80 },
    ]) {
      let err: unknown;
      try {
        resolve([{ networkInterfaceRef: { name: 'missing' }, port: 80 }, m]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ReconcileError);
      expect((err as ReconcileError).reason).toBe('MemberOutsideVPC');
    }
  });

  it('waits for a member that does not exist yet', () => {
    expect(() => resolve([{ networkInterfaceRef: { name: 'missing' }, port: 80 }])).toThrow(
      WaitingError,
    );
  });
});
