// What the API server itself refuses of NATGateways (schema and CEL), and of an EIP binding
// naming both an interface and a NATGateway: a rule with both or neither of subnetRef and
// cidr, a CIDR with host bits (it would silently widen), ports outside 1-65535, two DNAT
// rules forwarding one EIP port, two rules of one name, and a change of VPC.
import { describe, expect, it } from '@jest/globals';
import { rejection, useTestCluster } from '../../harness/index.ts';
import { doc, eipApi, vpcApi } from '../eip/fixture.ts';

const cluster = useTestCluster('natgw-api');

async function refused(yamlText: string): Promise<string> {
  const r = await rejection(cluster.apply(yamlText));
  expect(r.code).toBe(422);
  return r.message;
}

const gw = (name: string, spec: object) =>
  doc(vpcApi, 'NATGateway', name, { vpcRef: { name: 'v1' }, ...spec });
const forward = (name: string, extra: object = {}) => ({
  name,
  eipRef: { name: 'pub' },
  protocol: 'TCP',
  externalPort: 8080,
  internalIP: '10.0.1.10',
  internalPort: 80,
  ...extra,
});

describe('NATGateway validation', () => {
  it('accepts SNAT rules of a Subnet and of a CIDR, and DNAT rules of each protocol', async () => {
    await cluster.apply(
      gw('ok', {
        snatRules: [
          { name: 'web', subnetRef: { name: 's1' }, eipRef: { name: 'pub' } },
          { name: 'one-host', cidr: '10.0.2.5/32', eipRef: { name: 'pub' } },
        ],
        dnatRules: [forward('http'), forward('dns', { protocol: 'UDP', externalPort: 53 })],
      }),
    );
    const obj = (await cluster.read({ apiVersion: vpcApi, kind: 'NATGateway', name: 'ok' })) as {
      spec?: { dnatRules?: unknown[] };
    };
    expect(obj.spec?.dnatRules).toHaveLength(2);
  });

  it('refuses an SNAT rule with both or neither of subnetRef and cidr', async () => {
    for (const rule of [
      { name: 'r', eipRef: { name: 'pub' } },
      { name: 'r', cidr: '10.0.1.0/24', subnetRef: { name: 's1' }, eipRef: { name: 'pub' } },
    ]) {
      expect(await refused(gw('bad', { snatRules: [rule] }))).toContain(
        'set exactly one of subnetRef and cidr',
      );
    }
  });

  it('refuses a CIDR with host bits set, rather than reading it as the whole network', async () => {
    const message = await refused(
      gw('bad', { snatRules: [{ name: 'r', cidr: '10.0.1.5/24', eipRef: { name: 'pub' } }] }),
    );
    expect(message).toContain('must be a network address with no host bits set');
  });

  it('refuses ports outside 1-65535, an unknown protocol and a non-canonical address', async () => {
    for (const bad of [{ externalPort: 0 }, { externalPort: 65536 }, { internalPort: 0 }]) {
      expect(await refused(gw('bad', { dnatRules: [forward('r', bad)] }))).toMatch(
        /spec\.dnatRules\[0\]\.(externalPort|internalPort): Invalid value/,
      );
    }
    expect(await refused(gw('bad', { dnatRules: [forward('r', { protocol: 'ICMP' })] }))).toContain(
      'spec.dnatRules[0].protocol: Unsupported value: "ICMP"',
    );
    expect(
      await refused(gw('bad', { dnatRules: [forward('r', { internalIP: '10.0.1.010' })] })),
    ).toContain('must be an IPv4 address');
  });

  it('refuses two DNAT rules forwarding the same EIP, protocol and port, but not another protocol', async () => {
    expect(
      await refused(
        gw('bad', { dnatRules: [forward('a'), forward('b', { internalIP: '10.0.1.11' })] }),
      ),
    ).toContain('two DNAT rules forward the same EIP, protocol and externalPort');
    await cluster.apply(
      gw('two', { dnatRules: [forward('a'), forward('b', { protocol: 'UDP' })] }),
    );
  });

  it('refuses two rules of one name', async () => {
    // Created, not applied: server-side apply cannot even merge a list with a key twice.
    const create = (spec: object) =>
      rejection(
        cluster.custom.createNamespacedCustomObject({
          group: 'vpc.kcloud.io',
          version: 'v1alpha1',
          namespace: cluster.namespace,
          plural: 'natgateways',
          body: {
            apiVersion: vpcApi,
            kind: 'NATGateway',
            metadata: { name: 'dup' },
            spec: { vpcRef: { name: 'v1' }, ...spec },
          },
        }),
      );
    const snat = { name: 'r', cidr: '10.0.1.0/24', eipRef: { name: 'pub' } };
    for (const spec of [
      { snatRules: [snat, { ...snat, cidr: '10.0.2.0/24' }] },
      { dnatRules: [forward('r'), forward('r', { externalPort: 9 })] },
    ]) {
      const r = await create(spec);
      expect(r.code).toBe(422);
      expect(r.message).toContain('Duplicate value');
    }
  });

  it('refuses a change of VPC', async () => {
    expect(await refused(doc(vpcApi, 'NATGateway', 'ok', { vpcRef: { name: 'v2' } }))).toContain(
      'vpcRef is immutable',
    );
  });
});

describe('an EIP bound to a NATGateway', () => {
  it('takes natGatewayRef as its one target, and refuses it beside an interface', async () => {
    await cluster.apply(
      doc(eipApi, 'EIP', 'pub', {
        poolRef: { name: 'p' },
        binding: { natGatewayRef: { name: 'ok' } },
      }),
    );
    expect(
      await refused(
        doc(eipApi, 'EIP', 'both', {
          poolRef: { name: 'p' },
          binding: { natGatewayRef: { name: 'ok' }, networkInterfaceRef: { name: 'web' } },
        }),
      ),
    ).toContain(
      'binding must name exactly one target: networkInterfaceRef, natGatewayRef or loadBalancerRef',
    );
  });
});
