// The EIP operator against a real API server and the VPC operator on a real OVN: addresses
// handed out exactly (many EIPs at once, across a restart), a requested address honoured or
// refused with a reason (never another one given), bindings checked (a missing interface is
// waited for, a second EIP on one interface refused), a bound EIP's deletion held (Bound) and
// the pool's counters and deletion following its EIPs. In OVN: the pool's localnet switch, the
// router's gateway port (chassis, default route) and the NAT row, moved at once by a
// re-binding, gone when unbound, nothing written for a refused binding, nothing left at the end.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { kubectlOk } from '../../../hack/cluster/index.ts';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { doc, eipApi, eipRef, nicRef, useEipOperator, vpcApi } from './fixture.ts';

const cluster = useTestCluster('eip-op');
const eip = useEipOperator(cluster);
let pool = '';
const poolRef = () => ({ apiVersion: eipApi, kind: 'EIPPool', name: pool });

async function readyFalseReason(name: string): Promise<{ reason: string; message: string }> {
  let last = '';
  return waitFor(
    async () => {
      const o = await cluster.read(eipRef(name));
      const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
      last = JSON.stringify(o.status ?? null);
      return ready?.status === 'False' &&
        ready.observedGeneration === o.metadata?.generation &&
        ready.reason !== 'Reconciling'
        ? { reason: ready.reason ?? '', message: ready.message ?? '' }
        : undefined;
    },
    { what: `EIP ${name} Ready=False for its generation`, describe: () => last },
  );
}

/** ovn-nbctl list of a table's columns, one row per line. */
const rows = async (table: string, columns: string) =>
  (
    await eip.nb([
      '--format=csv',
      '--data=bare',
      '--no-headings',
      `--columns=${columns}`,
      'list',
      table,
    ])
  )
    .split('\n')
    .filter(Boolean)
    .sort();
const nats = () => rows('NAT', 'type,external_ip,logical_ip');
const nicIp = async (name: string) =>
  (await cluster.waitForCondition(nicRef(name), 'Ready')).status?.ipAddress as string;
const gateways = async () =>
  (await rows('Logical_Router_Port', 'name,networks')).filter((r) => r.startsWith('kcloud-eipgw-'));

const address = async (name: string) =>
  (await cluster.waitForCondition(eipRef(name), 'Ready')).status?.address as string;

beforeAll(async () => {
  pool = `${cluster.namespace}-pool`;
  await cluster.apply(
    [
      doc(eipApi, 'EIPPool', pool, {
        cidrBlock: '198.51.100.0/26',
        gatewayIP: '198.51.100.1',
        allocatableRanges: ['198.51.100.10-198.51.100.40'],
        providerNetwork: 'physnet1',
      }),
      doc(vpcApi, 'VPC', 'v1', { cidrBlocks: ['10.0.0.0/16'] }),
      doc(vpcApi, 'Subnet', 's1', { vpcRef: { name: 'v1' }, cidrBlock: '10.0.1.0/24' }),
      doc(vpcApi, 'NetworkInterface', 'web', { subnetRef: { name: 's1' } }),
      doc(vpcApi, 'NetworkInterface', 'db', { subnetRef: { name: 's1' } }),
    ].join('---\n'),
  );
});

afterAll(async () => {
  await cluster.custom
    .deleteClusterCustomObject({
      group: 'eip.kcloud.io',
      version: 'v1alpha1',
      plural: 'eippools',
      name: pool,
    })
    .catch(() => undefined);
});

describe('EIP addresses', () => {
  it('gives 20 EIPs created at once 20 distinct addresses of the ranges, and keeps them across a restart', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `many-${String(i)}`);
    await Promise.all(
      names.map((n) => cluster.apply(doc(eipApi, 'EIP', n, { poolRef: { name: pool } }))),
    );
    const before = await Promise.all(names.map(address));
    expect(new Set(before).size).toBe(20);
    for (const a of before) {
      const last = Number(a.split('.')[3]);
      expect(a.startsWith('198.51.100.')).toBe(true);
      expect(last >= 10 && last <= 40).toBe(true);
    }
    const status = await cluster.waitForCondition(poolRef(), 'Ready');
    expect(status.status).toMatchObject({ total: 31 });
    await waitFor(async () => (await cluster.read(poolRef())).status?.used === 20, {
      what: 'the pool to count 20 used addresses',
    });

    await eip.restart();
    // New EIPs after the restart never get an address already held.
    await Promise.all(
      ['after-0', 'after-1'].map((n) =>
        cluster.apply(doc(eipApi, 'EIP', n, { poolRef: { name: pool } })),
      ),
    );
    const after = await Promise.all(['after-0', 'after-1'].map(address));
    expect(await Promise.all(names.map(address))).toEqual(before);
    expect(new Set([...before, ...after]).size).toBe(22);
    await waitFor(
      async () => {
        const s = (await cluster.read(poolRef())).status;
        return s?.used === 22 && s.available === 9;
      },
      { what: 'the pool to count 22 used and 9 available' },
    );
  });

  it('honours a requested free address and refuses a taken or impossible one with a reason', async () => {
    await cluster.apply(
      doc(eipApi, 'EIP', 'fixed', { poolRef: { name: pool }, address: '198.51.100.40' }),
    );
    expect(await address('fixed')).toBe('198.51.100.40');

    await cluster.apply(
      doc(eipApi, 'EIP', 'taken', { poolRef: { name: pool }, address: '198.51.100.40' }),
    );
    const taken = await readyFalseReason('taken');
    expect(taken.reason).toBe('AddressInUse');
    expect(taken.message).toContain(
      `198.51.100.40 is already used by EIP ${cluster.namespace}/fixed`,
    );

    await cluster.apply(
      doc(eipApi, 'EIP', 'outside', { poolRef: { name: pool }, address: '192.0.2.7' }),
    );
    const outside = await readyFalseReason('outside');
    expect(outside.reason).toBe('AddressOutsidePool');
    expect(outside.message).toContain(`192.0.2.7 is outside the pool ${pool} 198.51.100.0/26`);

    await cluster.apply(
      doc(eipApi, 'EIP', 'unallocatable', { poolRef: { name: pool }, address: '198.51.100.50' }),
    );
    expect((await readyFalseReason('unallocatable')).reason).toBe('AddressNotAllocatable');
    for (const n of ['taken', 'outside', 'unallocatable']) {
      expect((await cluster.read(eipRef(n))).status?.address).toBeUndefined();
    }
  });

  it('waits for a pool that does not exist', async () => {
    await cluster.apply(doc(eipApi, 'EIP', 'no-pool', { poolRef: { name: `${pool}-missing` } }));
    expect((await readyFalseReason('no-pool')).reason).toBe('EIPPoolNotFound');
  });
});

describe('EIP bindings', () => {
  it('binds to an interface, refuses a second EIP on it, and holds deletion while bound', async () => {
    await cluster.waitForCondition(
      { apiVersion: vpcApi, kind: 'NetworkInterface', name: 'web' },
      'Ready',
    );
    const bind = (n: string, nic: string | undefined) =>
      cluster.apply(
        doc(eipApi, 'EIP', n, {
          poolRef: { name: pool },
          ...(nic ? { binding: { networkInterfaceRef: { name: nic } } } : {}),
        }),
      );
    const [webIp, dbIp] = [await nicIp('web'), await nicIp('db')];
    // The pool's external network: a switch with a localnet port on the provider network.
    expect(await rows('Logical_Switch_Port', 'type,options')).toContain(
      'localnet,network_name=physnet1',
    );
    expect(await nats()).toEqual([]);
    await bind('first', 'web');
    const first = await cluster.waitForCondition(eipRef('first'), 'Ready');
    expect(first.status?.boundTo).toBe('NetworkInterface/web');
    const firstIp = first.status?.address as string;
    expect(await nats()).toEqual([`dnat_and_snat,${firstIp},${webIp}`]);
    // The VPC router's gateway port on the pool's network, on the gateway chassis, with the
    // pool's gateway as its default route.
    const [gw] = await gateways();
    expect(gw).toMatch(/^kcloud-eipgw-\S+,198\.51\.100\.\d+\/26$/);
    expect(await rows('Gateway_Chassis', 'chassis_name,priority')).toEqual(['gw-1,1']);
    expect(await rows('Logical_Router_Static_Route', 'ip_prefix,nexthop')).toContain(
      '0.0.0.0/0,198.51.100.1',
    );

    // Re-binding moves the NAT at once.
    await bind('first', 'db');
    await waitFor(async () => (await nats()).join() === `dnat_and_snat,${firstIp},${dbIp}`, {
      what: 'the NAT to move to db',
      describe: () => 'see ovn-nbctl list NAT',
    });
    await bind('first', 'web');
    await waitFor(async () => (await nats()).join() === `dnat_and_snat,${firstIp},${webIp}`, {
      what: 'the NAT to move back to web',
    });

    await bind('second', 'web');
    const second = await readyFalseReason('second');
    expect(second.reason).toBe('TargetHasEIP');
    expect(second.message).toContain('NetworkInterface web already has EIP first');
    // Nothing of a refused binding in OVN.
    expect(await nats()).toEqual([`dnat_and_snat,${firstIp},${webIp}`]);

    await bind('ghost', 'nope');
    expect((await readyFalseReason('ghost')).reason).toBe('InterfaceNotFound');

    // Deleting the bound one waits, saying why; unbinding lets it go, and the second takes over.
    await cluster.custom.deleteNamespacedCustomObject({
      group: 'eip.kcloud.io',
      version: 'v1alpha1',
      plural: 'eips',
      namespace: cluster.namespace,
      name: 'first',
    });
    const held = await cluster.waitForCondition(eipRef('first'), 'Ready', 'False', 60_000, 'Bound');
    expect(held.metadata?.deletionTimestamp).toBeDefined();
    await bind('first', undefined);
    await cluster.waitForGone(eipRef('first'));
    const taken = await cluster.waitForCondition(eipRef('second'), 'Ready');
    expect(taken.status?.boundTo).toBe('NetworkInterface/web');
    expect(await nats()).toEqual([`dnat_and_snat,${taken.status?.address as string},${webIp}`]);

    // Unbound: no NAT, and no gateway port once no EIP of the VPC uses it.
    await bind('second', undefined);
    await waitFor(async () => (await nats()).length === 0 && (await gateways()).length === 0, {
      what: 'the NAT and the gateway port to go',
    });
    expect(await rows('Gateway_Chassis', 'chassis_name')).toEqual([]);
    expect(await rows('Logical_Router_Static_Route', 'ip_prefix,nexthop')).not.toContain(
      '0.0.0.0/0,198.51.100.1',
    );
  });

  it('keeps a bound EIP, its NAT and its gateway address across a restart', async () => {
    await cluster.apply(
      doc(eipApi, 'EIP', 'second', {
        poolRef: { name: pool },
        binding: { networkInterfaceRef: { name: 'web' } },
      }),
    );
    await cluster.waitForCondition(eipRef('second'), 'Ready');
    const natsBefore = await nats();
    const gatewaysBefore = await gateways();
    expect(natsBefore).toHaveLength(1);
    expect(gatewaysBefore).toHaveLength(1);
    await eip.restart();
    // A new EIP gets neither the bound EIP's address nor the gateway port's.
    await cluster.apply(doc(eipApi, 'EIP', 'late', { poolRef: { name: pool } }));
    const late = await address('late');
    const held = [natsBefore[0]?.split(',')[1], gatewaysBefore[0]?.split(',')[1]?.split('/')[0]];
    expect(held).not.toContain(late);
    expect(await nats()).toEqual(natsBefore);
    expect(await gateways()).toEqual(gatewaysBefore);
    await cluster.apply(doc(eipApi, 'EIP', 'second', { poolRef: { name: pool } }));
    await waitFor(async () => (await nats()).length === 0, { what: 'the NAT of second to go' });
  });

  it('sweeps the rows of a bound EIP force-deleted (finalizer stripped), freeing its address', async () => {
    await cluster.apply(
      doc(eipApi, 'EIP', 'forced', {
        poolRef: { name: pool },
        binding: { networkInterfaceRef: { name: 'db' } },
      }),
    );
    const forced = (await cluster.waitForCondition(eipRef('forced'), 'Ready')).status
      ?.address as string;
    expect((await nats()).some((n) => n.includes(`,${forced},`))).toBe(true);
    const kubectl = (args: string[]) =>
      kubectlOk(cluster.kubeconfigPath, [...args, '-n', cluster.namespace]);
    await kubectl(['delete', 'eip', 'forced', '--wait=false']);
    await kubectl([
      'patch',
      'eip',
      'forced',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
    await cluster.waitForGone(eipRef('forced'));
    await waitFor(async () => (await nats()).length === 0 && (await gateways()).length === 0, {
      what: 'the orphan sweep to remove the NAT and the gateway port of forced',
    });
    // Its address is free again.
    await cluster.apply(doc(eipApi, 'EIP', 'reuse', { poolRef: { name: pool }, address: forced }));
    expect(await address('reuse')).toBe(forced);
  });

  it('holds the pool while it has EIPs', async () => {
    await cluster.custom.deleteClusterCustomObject({
      group: 'eip.kcloud.io',
      version: 'v1alpha1',
      plural: 'eippools',
      name: pool,
    });
    const held = await cluster.waitForCondition(poolRef(), 'Ready', 'False', 60_000, 'InUse');
    const switchName = `kcloud-eip-${held.metadata?.uid ?? ''}`;
    expect(await rows('Logical_Switch', 'name')).toContain(switchName);
    expect(JSON.stringify(held.status)).toContain('the pool still has EIPs');

    // Every EIP gone (the one still naming an interface unbound first), the pool goes, and
    // nothing of either is left in OVN.
    await cluster.apply(doc(eipApi, 'EIP', 'ghost', { poolRef: { name: pool } }));
    await cluster.custom.deleteCollectionNamespacedCustomObject({
      group: 'eip.kcloud.io',
      version: 'v1alpha1',
      plural: 'eips',
      namespace: cluster.namespace,
    });
    await cluster.waitForGone(poolRef());
    expect(await nats()).toEqual([]);
    expect(await gateways()).toEqual([]);
    // Pools are cluster-scoped: other test files' pools have switches here too; not this one.
    expect(await rows('Logical_Switch', 'name')).not.toContain(switchName);
  });
});
