// VPCPeering at the API server: a VPC peered with itself is refused before any controller sees
// it, the two ends cannot be changed, and kubectl shows and explains the kind.
import { describe, expect, it } from '@jest/globals';
import { rejection, useTestCluster } from '../../harness/index.ts';
import { doc } from './operator-fixture.ts';

const cluster = useTestCluster('vpc-pcx-api');

async function refused(name: string, spec: object): Promise<string> {
  const r = await rejection(cluster.apply(doc('VPCPeering', name, spec)));
  expect(r.code).toBe(422);
  return r.message;
}

describe('VPCPeering at the API server', () => {
  it('refuses a VPC peered with itself in its own namespace', async () => {
    expect(await refused('self', { vpcRef: { name: 'a' }, peerVPC: { name: 'a' } })).toContain(
      'a VPC cannot be peered with itself',
    );
    // The same name in another namespace is another VPC.
    await cluster.apply(
      doc('VPCPeering', 'other-ns', {
        vpcRef: { name: 'a' },
        peerVPC: { name: 'a', namespace: 'tenant-b' },
      }),
    );
  });

  it('refuses specs without both ends', async () => {
    expect(await refused('no-peer', { vpcRef: { name: 'a' } })).toMatch(/peerVPC/);
    expect(await refused('no-vpc', { peerVPC: { name: 'b' } })).toMatch(/vpcRef/);
    expect(await refused('empty-name', { vpcRef: { name: 'a' }, peerVPC: { name: '' } })).toMatch(
      /peerVPC.name/,
    );
  });

  it('keeps both ends immutable', async () => {
    const spec = { vpcRef: { name: 'a' }, peerVPC: { name: 'b' } };
    await cluster.apply(doc('VPCPeering', 'a-b', spec));
    expect(await refused('a-b', { ...spec, vpcRef: { name: 'c' } })).toContain(
      'vpcRef is immutable',
    );
    expect(await refused('a-b', { ...spec, peerVPC: { name: 'b', namespace: 'x' } })).toContain(
      'peerVPC is immutable',
    );
  });

  it('is listed with the kcloud kinds and explained field by field', async () => {
    const get = await cluster.kubectl(['get', 'peering', '-n', cluster.namespace]);
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/NAME\s+VPC\s+PEER-NAMESPACE\s+PEER-VPC\s+PHASE\s+READY/);
    expect(get.stdout).toMatch(/other-ns\s+a\s+tenant-b\s+a/);
    const all = await cluster.kubectl(['get', 'kcloud', '-n', cluster.namespace, '-o', 'name']);
    expect(all.stdout).toContain('vpcpeering.vpc.kcloud.io/a-b');
    const explain = await cluster.kubectl(['explain', 'vpcpeering.spec.peerVPC.namespace']);
    expect(explain.code).toBe(0);
    expect(explain.stdout).toContain('accept');
  });
});
