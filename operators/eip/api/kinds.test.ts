import { describe, expect, it } from '@jest/globals';
import { EIP, EIPPool, eipKinds } from './index.ts';

describe('EIP kinds', () => {
  it('are product kinds in the kcloud category with Ready and Phase columns and their short names', () => {
    for (const kind of eipKinds) {
      const crd = kind.crd();
      expect(crd.spec.names.categories).toContain('kcloud');
      const columns = crd.spec.versions[0]?.additionalPrinterColumns.map((c) => c.name) ?? [];
      expect(columns).toEqual(expect.arrayContaining(['Phase', 'Ready', 'Age']));
    }
    expect(EIP.crd().spec.names.shortNames).toEqual(['eip']);
    expect(EIP.crd().spec.scope).toBe('Namespaced');
    expect(EIPPool.crd().spec.scope).toBe('Cluster');
  });

  it('refuse what the schema alone rules out (CEL is checked by the API server)', () => {
    const base = {
      apiVersion: EIP.apiVersion,
      kind: 'EIP',
      metadata: { name: 'x', namespace: 'ns' },
    };
    expect(EIP.validate({ ...base, spec: { poolRef: { name: 'p' } } }).ok).toBe(true);
    expect(EIP.validate({ ...base, spec: {} }).ok).toBe(false);
    expect(EIP.validate({ ...base, spec: { poolRef: { name: 'p' }, bandwidthMbps: 0 } }).ok).toBe(
      false,
    );
    expect(
      EIPPool.validate({
        apiVersion: EIPPool.apiVersion,
        kind: 'EIPPool',
        metadata: { name: 'p' },
        spec: { cidrBlock: '203.0.113.0/24', gatewayIP: '203.0.113.1' },
      }).ok,
    ).toBe(false);
  });
});
