// What the API server itself refuses of EIPPools and EIPs (schema and CEL): a pool whose
// gateway or ranges leave its CIDR, a range that runs backwards, a non-canonical address, an
// EIP binding with no target or naming another namespace, a bandwidth limit below 1 Mbit/s,
// and edits of what cannot change.
import { afterAll, describe, expect, it } from '@jest/globals';
import { rejection, useTestCluster } from '../../harness/index.ts';

const cluster = useTestCluster('eip-api');
const apiVersion = 'eip.kcloud.io/v1alpha1';
const poolName = (n: string) => `${cluster.namespace}-${n}`;
const poolDoc = (name: string, spec: object) =>
  `apiVersion: ${apiVersion}\nkind: EIPPool\nmetadata: {name: ${poolName(name)}}\nspec: ${JSON.stringify(spec)}\n`;
const eipDoc = (name: string, spec: object) =>
  `apiVersion: ${apiVersion}\nkind: EIP\nmetadata: {name: ${name}}\nspec: ${JSON.stringify(spec)}\n`;
const pool = (extra: object = {}) => ({
  cidrBlock: '203.0.113.0/24',
  gatewayIP: '203.0.113.1',
  providerNetwork: 'physnet1',
  ...extra,
});

async function refused(yamlText: string): Promise<string> {
  const r = await rejection(cluster.apply(yamlText));
  expect(r.code).toBe(422);
  return r.message;
}

const created: string[] = [];
afterAll(async () => {
  for (const name of created) {
    await cluster.custom
      .deleteClusterCustomObject({
        group: 'eip.kcloud.io',
        version: 'v1alpha1',
        plural: 'eippools',
        name,
      })
      .catch(() => undefined);
  }
});

describe('EIPPool validation', () => {
  it('accepts a pool with and without allocatable ranges', async () => {
    created.push(poolName('ok'), poolName('ranges'));
    await cluster.apply(poolDoc('ok', pool()));
    await cluster.apply(
      poolDoc('ranges', pool({ allocatableRanges: ['203.0.113.10-203.0.113.20', '203.0.113.99'] })),
    );
  });

  it('refuses a gateway outside the CIDR or on its network or broadcast address', async () => {
    expect(await refused(poolDoc('bad', pool({ gatewayIP: '198.51.100.1' })))).toContain(
      'gatewayIP must be inside cidrBlock',
    );
    for (const gw of ['203.0.113.0', '203.0.113.255']) {
      expect(await refused(poolDoc('bad', pool({ gatewayIP: gw })))).toContain(
        'gatewayIP must not be the network or the broadcast address',
      );
    }
  });

  it('refuses ranges outside the CIDR or running backwards, and non-canonical spellings', async () => {
    expect(
      await refused(poolDoc('bad', pool({ allocatableRanges: ['203.0.113.10-203.0.114.5'] }))),
    ).toContain('every allocatable address must lie inside cidrBlock');
    expect(
      await refused(poolDoc('bad', pool({ allocatableRanges: ['203.0.113.20-203.0.113.10'] }))),
    ).toContain('a range must not end before it starts');
    expect(await refused(poolDoc('bad', pool({ cidrBlock: '203.0.113.5/24' })))).toContain(
      'must be a network address with no host bits set',
    );
    expect(await refused(poolDoc('bad', pool({ gatewayIP: '203.0.113.01' })))).toContain(
      'must be an IPv4 address',
    );
    expect(await refused(poolDoc('bad', pool({ providerNetwork: 'phys net' })))).toContain(
      'providerNetwork',
    );
  });

  it('refuses changing the CIDR, gateway or provider network', async () => {
    const message = await refused(
      poolDoc('ok', pool({ gatewayIP: '203.0.113.254', providerNetwork: 'physnet2' })),
    );
    expect(message).toContain('gatewayIP is immutable');
    expect(message).toContain('providerNetwork is immutable');
  });
});

describe('EIP validation', () => {
  it('accepts an EIP with an address and a binding', async () => {
    await cluster.apply(
      eipDoc('ok', {
        poolRef: { name: 'p' },
        address: '203.0.113.7',
        binding: { networkInterfaceRef: { name: 'web' } },
      }),
    );
  });

  it('refuses a binding without a target, or naming another namespace', async () => {
    expect(await refused(eipDoc('bad', { poolRef: { name: 'p' }, binding: {} }))).toContain(
      'binding must name exactly one target: networkInterfaceRef',
    );
    const r = await rejection(
      cluster.apply(
        eipDoc('bad', {
          poolRef: { name: 'p' },
          binding: { networkInterfaceRef: { name: 'web', namespace: 'other' } },
        }),
      ),
    );
    expect(r.message).toContain(
      '.spec.binding.networkInterfaceRef.namespace: field not declared in schema',
    );
  });

  it('takes a bandwidth limit from 1 Mbit/s, and refuses 0', async () => {
    await cluster.apply(eipDoc('limited', { poolRef: { name: 'p' }, bandwidthMbps: 10 }));
    expect(await refused(eipDoc('bad', { poolRef: { name: 'p' }, bandwidthMbps: 0 }))).toContain(
      'spec.bandwidthMbps',
    );
  });

  it('refuses changing the pool or the address, but allows re-binding', async () => {
    const message = await refused(eipDoc('ok', { poolRef: { name: 'q' }, address: '203.0.113.8' }));
    expect(message).toContain('poolRef is immutable');
    expect(message).toContain('address is immutable');
    await cluster.apply(
      eipDoc('ok', {
        poolRef: { name: 'p' },
        address: '203.0.113.7',
        binding: { networkInterfaceRef: { name: 'db' } },
      }),
    );
  });
});
