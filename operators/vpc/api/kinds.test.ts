import { describe, expect, it } from '@jest/globals';
import { NetworkInterface, SecurityGroup, Subnet, VPC, vpcKinds } from './index.ts';

const meta = { name: 'x', namespace: 'ns' };

describe('VPC kinds', () => {
  it('are all product kinds in the kcloud category, with Ready and Phase columns', () => {
    for (const kind of vpcKinds) {
      const crd = kind.crd();
      expect(crd.spec.names.categories).toContain('kcloud');
      const columns = crd.spec.versions[0]?.additionalPrinterColumns.map((c) => c.name) ?? [];
      expect(columns).toEqual(expect.arrayContaining(['Phase', 'Ready', 'Age']));
    }
  });

  it('show counts that say what they count in kubectl get', () => {
    const columns = (kind: typeof SecurityGroup | typeof VPC) =>
      Object.fromEntries(
        (kind.crd().spec.versions[0]?.additionalPrinterColumns ?? []).map((c) => [c.name, c]),
      );
    // Every rule's name in one cell showed only the first; a count from status is true.
    expect(columns(SecurityGroup).Rules).toMatchObject({
      type: 'integer',
      jsonPath: '.status.rules',
    });
    // Ready out of all, not all Subnets as if they were all attached.
    expect(columns(VPC).Subnets).toMatchObject({
      type: 'string',
      jsonPath: '.status.readySubnets',
    });
  });

  it('default what the API server defaults', () => {
    const nic = NetworkInterface.withDefaults({
      apiVersion: NetworkInterface.apiVersion,
      kind: 'NetworkInterface',
      metadata: meta,
      spec: { subnetRef: { name: 's1' } },
    });
    expect(nic.spec.portSecurity).toBe(true);
    const subnet = Subnet.withDefaults({
      apiVersion: Subnet.apiVersion,
      kind: 'Subnet',
      metadata: meta,
      spec: { vpcRef: { name: 'v1' }, cidrBlock: '10.0.1.0/24', dhcp: { enabled: true } },
    });
    expect(subnet.spec.dhcp).toEqual({ enabled: true, leaseTimeSeconds: 3600 });
    const sg = SecurityGroup.withDefaults({
      apiVersion: SecurityGroup.apiVersion,
      kind: 'SecurityGroup',
      metadata: meta,
      spec: {
        vpcRef: { name: 'v1' },
        rules: [{ name: 'ssh', direction: 'Ingress', protocol: 'TCP', remoteCIDR: '0.0.0.0/0' }],
      },
    });
    expect(sg.spec.rules?.[0]).toMatchObject({ action: 'Allow', priority: 100 });
  });

  it('reject what the schema alone rules out (CEL is checked by the API server)', () => {
    const tooMany = VPC.validate({
      apiVersion: VPC.apiVersion,
      kind: 'VPC',
      metadata: meta,
      spec: {
        cidrBlocks: [
          '10.0.0.0/16',
          '10.1.0.0/16',
          '10.2.0.0/16',
          '10.3.0.0/16',
          '10.4.0.0/16',
          '10.5.0.0/16',
        ],
      },
    });
    expect(tooMany.ok).toBe(false);
    const empty = VPC.validate({
      apiVersion: VPC.apiVersion,
      kind: 'VPC',
      metadata: meta,
      spec: { cidrBlocks: [] },
    });
    expect(empty.ok).toBe(false);
    const badMac = NetworkInterface.validate({
      apiVersion: NetworkInterface.apiVersion,
      kind: 'NetworkInterface',
      metadata: meta,
      spec: { subnetRef: { name: 's1' }, macAddress: '02:00:00:00:00:0G' },
    });
    expect(badMac.ok).toBe(false);
  });
});
