// Which VPCPeerings make one peering. Each side states it in its own namespace: a VPCPeering
// and the one naming it back (its partner) are one peering, written to OVN by one of the two
// (the writer) so that the link and routes have a single owner; the other only reports.
import { objectKey, type KubeObject } from '../../../controllers/kube/index.ts';
import type { VPCPeeringObject } from '../api/index.ts';
import type { ScopedCaches } from './peering-scope.ts';

/** `namespace/name` of both VPCs: this side's, then the peer's. */
export function endsOf(p: VPCPeeringObject): { own: string; peer: string } {
  const ns = p.metadata.namespace ?? '';
  return {
    own: `${ns}/${p.spec.vpcRef.name}`,
    peer: `${p.spec.peerVPC.namespace ?? ns}/${p.spec.peerVPC.name}`,
  };
}

/** For the cache index `vpc`: both VPCs a peering names. */
export const peeringVpcs = (p: VPCPeeringObject): string[] => {
  const { own, peer } = endsOf(p);
  return [own, peer];
};

const live = (o: KubeObject) => !o.metadata.deletionTimestamp;

/** The VPCPeering of the peer VPC's namespace that names this one's VPC back, if any. */
export function partnerOf(
  p: VPCPeeringObject,
  peerings: ScopedCaches<VPCPeeringObject>,
): VPCPeeringObject | undefined {
  const { own, peer } = endsOf(p);
  return peerings
    .byIndex('vpc', own)
    .filter((o) => o.metadata.uid !== p.metadata.uid && live(o))
    .filter((o) => {
      const e = endsOf(o);
      return e.own === peer && e.peer === own;
    })
    .sort((x, y) => objectKey(x).localeCompare(objectKey(y)))[0];
}

/** Of a peering and its partner, the one that writes to OVN: the first by namespace/name. */
export function writerOf(p: VPCPeeringObject, partner?: VPCPeeringObject): VPCPeeringObject {
  return partner && objectKey(partner) < objectKey(p) ? partner : p;
}

const rank = (p: KubeObject) => `${p.metadata.creationTimestamp ?? ''}\u0000${objectKey(p)}`;

/**
 * An older VPCPeering that already joins the same two VPCs, other than this one and its
 * partner: two peerings of one pair would put two links and two routes per range on each
 * router, so the first one created keeps the pair.
 */
export function earlierPeeringOfPair(
  p: VPCPeeringObject,
  partner: VPCPeeringObject | undefined,
  peerings: ScopedCaches<VPCPeeringObject>,
): VPCPeeringObject | undefined {
  const { own, peer } = endsOf(p);
  const pair = [own, peer].sort().join('\u0000');
  const mine =
    [p, partner]
      .filter((x) => x !== undefined)
      .map(rank)
      .sort()[0] ?? rank(p);
  return peerings
    .byIndex('vpc', own)
    .filter((o) => live(o) && o.metadata.uid !== p.metadata.uid)
    .filter((o) => o.metadata.uid !== partner?.metadata.uid)
    .filter((o) => {
      const e = endsOf(o);
      return [e.own, e.peer].sort().join('\u0000') === pair;
    })
    .filter((o) => rank(o) < mine)
    .sort((x, y) => rank(x).localeCompare(rank(y)))[0];
}
