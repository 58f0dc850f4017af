import { describe, expect, it } from '@jest/globals';
import { LoadBalancer } from './index.ts';

describe('LoadBalancer kind', () => {
  it('is a namespaced product kind in the kcloud category with VIP, Phase and Ready columns', () => {
    const crd = LoadBalancer.crd();
    expect(crd.spec.names.categories).toContain('kcloud');
    expect(crd.spec.names.shortNames).toEqual(['slb']);
    expect(crd.spec.scope).toBe('Namespaced');
    const columns = crd.spec.versions[0]?.additionalPrinterColumns.map((c) => c.name) ?? [];
    expect(columns).toEqual(['VIP', 'EIP', 'Subnet', 'Phase', 'Ready', 'Age']);
  });

  it('refuses what the schema alone rules out (CEL is checked by the API server)', () => {
    const obj = (spec: object) => ({
      apiVersion: LoadBalancer.apiVersion,
      kind: 'LoadBalancer',
      metadata: { name: 'x', namespace: 'ns' },
      spec,
    });
    const listener = { name: 'http', protocol: 'TCP', port: 80, backendPool: 'web' };
    const pool = { name: 'web', members: [{ ip: '10.0.1.7', port: 80 }] };
    const good = { subnetRef: { name: 's' }, listeners: [listener], backendPools: [pool] };
    expect(LoadBalancer.validate(obj(good)).ok).toBe(true);
    expect(LoadBalancer.validate(obj({ ...good, listeners: [] })).ok).toBe(false);
    expect(
      LoadBalancer.validate(obj({ ...good, listeners: [{ ...listener, protocol: 'SCTP' }] })).ok,
    ).toBe(false);
    expect(
      LoadBalancer.validate(
        obj({ ...good, listeners: [{ ...listener, algorithm: 'LeastConnections' }] }),
      ).ok,
    ).toBe(false);
  });
});
