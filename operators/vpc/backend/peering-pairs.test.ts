import { describe, expect, it } from '@jest/globals';
import { Cache } from '../../../controllers/informer/index.ts';
import type { VPCPeeringObject } from '../api/index.ts';
import { earlierPeeringOfPair, partnerOf, peeringVpcs, writerOf } from './peering-pairs.ts';
import { scopedCaches } from './peering-scope.ts';

function peering(
  ns: string,
  name: string,
  vpc: string,
  peer: { name: string; namespace?: string },
  created = '2026-01-01T00:00:00Z',
): VPCPeeringObject {
  return {
    apiVersion: 'vpc.kcloud.io/v1alpha1',
    kind: 'VPCPeering',
    metadata: { namespace: ns, name, uid: `${ns}-${name}`, creationTimestamp: created },
    spec: { vpcRef: { name: vpc }, peerVPC: peer },
  };
}

/** Two tenants' caches, each of one namespace, as two scoped managers would hold them. */
function caches(objs: VPCPeeringObject[]) {
  const a = new Cache<VPCPeeringObject>({ vpc: peeringVpcs });
  const b = new Cache<VPCPeeringObject>({ vpc: peeringVpcs });
  for (const o of objs) (o.metadata.namespace === 'b' ? b : a).upsert(o);
  return scopedCaches(a, new Map([['b', b]]));
}

describe('peering pairs', () => {
  const request = peering('a', 'to-data', 'app', { name: 'data', namespace: 'b' });
  const accept = peering('b', 'from-app', 'data', { name: 'app', namespace: 'a' });

  it('find the VPCPeering of the other namespace naming this one back', () => {
    const all = caches([request, accept]);
    expect(partnerOf(request, all)?.metadata.name).toBe('from-app');
    expect(partnerOf(accept, all)?.metadata.name).toBe('to-data');
    // Naming another VPC of the requester's is no acceptance.
    const wrong = peering('b', 'from-other', 'data', { name: 'other', namespace: 'a' });
    expect(partnerOf(request, caches([request, wrong]))).toBeUndefined();
  });

  it('ignore a partner being deleted', () => {
    const going = { ...accept, metadata: { ...accept.metadata, deletionTimestamp: 'now' } };
    expect(partnerOf(request, caches([request, going]))).toBeUndefined();
  });

  it('let the first by namespace/name write', () => {
    expect(writerOf(request, accept)).toBe(request);
    expect(writerOf(accept, request)).toBe(request);
    expect(writerOf(accept)).toBe(accept);
  });

  it('give a pair of VPCs to the peering made first', () => {
    const again = peering(
      'a',
      'again',
      'app',
      { name: 'data', namespace: 'b' },
      '2026-01-02T00:00:00Z',
    );
    const all = caches([request, accept, again]);
    expect(earlierPeeringOfPair(again, partnerOf(again, all), all)?.metadata.name).toBe('to-data');
    expect(earlierPeeringOfPair(request, accept, all)).toBeUndefined();
  });
});
