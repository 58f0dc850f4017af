import { ReconcileError, WaitingError } from '../../../controllers/external/index.ts';
import type { ExternalClient, Observation } from '../../../controllers/external/index.ts';
import { objectKey } from '../../../controllers/kube/index.ts';
import type { VPCObject, VPCPeeringObject } from '../api/index.ts';
import {
  desiredPeering,
  freeLink,
  names,
  overlappingCidrs,
  ownerKeys,
  peeringLinkRange,
  peeringPortNames,
  recordedLink,
  type DesiredPeering,
} from '../ovn/index.ts';
import {
  changedColumns,
  findRouter,
  findRouterPort,
  ownedBy,
  ownedByKind,
  staticRoutesMatch,
  type NbClient,
} from '../ovn/nb/index.ts';
import { oneAtATime } from './one-at-a-time.ts';
import { removeRowsOf } from './orphans.ts';
import { ownerOf } from './owner.ts';
import { earlierPeeringOfPair, endsOf, partnerOf, writerOf } from './peering-pairs.ts';
import type { ScopedCaches } from './peering-scope.ts';
import { readyReferent, referents } from './references.ts';

const peeringWrites = oneAtATime();

export interface PeeringRoute {
  vpc: string;
  destination: string;
  nextHop: string;
}

export interface PeeringObservation {
  acceptedBy?: string;
  linkCIDR?: string;
  routes: PeeringRoute[];
}

export interface PeeringCaches {
  vpcs: ScopedCaches<VPCObject>;
  peerings: ScopedCaches<VPCPeeringObject>;
}

/** What a VPCPeering should have in OVN now. */
type Plan =
  /** This object writes the link and the routes. */
  | { kind: 'write'; desired: DesiredPeering; link: string; acceptedBy?: string }
  /** Its partner writes them; this object owns nothing. */
  | { kind: 'partner'; writer: VPCPeeringObject; acceptedBy: string }
  /** Nothing in OVN, for this reason (a wait or a refusal). */
  | { kind: 'none'; why: Error };

/**
 * A VPCPeering's backend: a pair of peer ports joining the two VPC routers and, on each, a
 * route per range of the other VPC (ovn/peering.ts). Everything is checked before anything is
 * written; a peering that stops being wanted (withdrawn by the other side, a VPC gone, ranges
 * that came to overlap) has its rows removed, then reports why.
 */
export class PeeringBackend implements ExternalClient<VPCPeeringObject, PeeringObservation> {
  private readonly nb: NbClient;
  private readonly caches: PeeringCaches;

  constructor(nb: NbClient, caches: PeeringCaches) {
    this.nb = nb;
    this.caches = caches;
  }

  private plan(p: VPCPeeringObject): Plan {
    try {
      return this.wanted(p);
    } catch (err) {
      if (err instanceof WaitingError || err instanceof ReconcileError) {
        return { kind: 'none', why: err };
      }
      throw err;
    }
  }

  private wanted(p: VPCPeeringObject): Plan {
    const ends = endsOf(p);
    const [peerNs = '', peerName = ''] = ends.peer.split('/');
    if (ends.own === ends.peer) {
      throw new ReconcileError(
        'SameVPC',
        `VPC ${ends.own} cannot be peered with itself; name another VPC in peerVPC`,
        { retry: false },
      );
    }
    const ns = p.metadata.namespace ?? '';
    const own = readyReferent(this.caches.vpcs, referents.vpc, ns, p.spec.vpcRef.name);
    const peer = readyReferent(this.caches.vpcs, referents.peerVpc, peerNs, peerName);
    const partner = partnerOf(p, this.caches.peerings);
    if (peerNs !== ns && !partner) {
      throw new WaitingError(
        'WaitingForAcceptance',
        `namespace ${peerNs} has not accepted: it needs a VPCPeering with vpcRef {name: ${peerName}} and peerVPC {name: ${p.spec.vpcRef.name}, namespace: ${ns}}`,
      );
    }
    const acceptedBy = partner ? objectKey(partner) : undefined;
    const overlap = overlappingCidrs(own.spec.cidrBlocks, peer.spec.cidrBlocks)[0];
    if (overlap) {
      throw new ReconcileError(
        'OverlappingCIDRs',
        `${overlap[0]} of VPC ${ends.own} overlaps ${overlap[1]} of VPC ${ends.peer}: peered VPCs need ranges that do not overlap`,
        { retry: false },
      );
    }
    for (const [vpc, key] of [
      [own, ends.own],
      [peer, ends.peer],
    ] as const) {
      const inLinks = overlappingCidrs(vpc.spec.cidrBlocks, [peeringLinkRange])[0];
      if (inLinks) {
        throw new ReconcileError(
          'OverlappingCIDRs',
          `${inLinks[0]} of VPC ${key} overlaps ${peeringLinkRange}, the range peering links use`,
          { retry: false },
        );
      }
    }
    const earlier = earlierPeeringOfPair(p, partner, this.caches.peerings);
    if (earlier) {
      throw new ReconcileError(
        'AlreadyPeered',
        `VPCs ${ends.own} and ${ends.peer} are already peered by VPCPeering ${objectKey(earlier)}`,
        { retry: false },
      );
    }
    const writer = writerOf(p, partner);
    if (writer !== p && acceptedBy) return { kind: 'partner', writer, acceptedBy };

    const uid = p.metadata.uid ?? '';
    const a = { vpcUid: own.metadata.uid ?? '', cidrs: own.spec.cidrBlocks };
    const b = { vpcUid: peer.metadata.uid ?? '', cidrs: peer.spec.cidrBlocks };
    // Routes another peering already installed on either router, to a range of this one.
    for (const [side, other, key] of [
      [a, b, ends.own],
      [b, a, ends.peer],
    ] as const) {
      const taken = this.peeringRoutesOn(names.router(side.vpcUid)).filter(
        (r) => r.external_ids[ownerKeys.uid] !== uid,
      );
      const clash = overlappingCidrs(
        other.cidrs,
        taken.map((r) => r.ip_prefix),
      )[0];
      if (clash) {
        const by = taken.find((r) => r.ip_prefix === clash[1])?.external_ids ?? {};
        throw new ReconcileError(
          'OverlappingCIDRs',
          `${clash[0]} overlaps ${clash[1]}, which VPC ${key} already reaches through VPCPeering ${by[ownerKeys.namespace] ?? ''}/${by[ownerKeys.name] ?? ''}`,
          { retry: false },
        );
      }
    }
    const link = this.linkOf(uid);
    return {
      kind: 'write',
      desired: desiredPeering(ownerOf(p, 'VPCPeering'), a, b, link),
      link,
      ...(acceptedBy ? { acceptedBy } : {}),
    };
  }

  private peeringRoutesOn(routerName: string) {
    const router = findRouter(this.nb.ovsdb, routerName);
    if (!router) return [];
    const peeringRoute = ownedByKind('VPCPeering');
    const rows = this.nb.ovsdb.replica.table('Logical_Router_Static_Route');
    return router.static_routes
      .map((u) => rows.get(u))
      .filter((r) => r !== undefined && peeringRoute(r.external_ids))
      .map((r) => r as NonNullable<typeof r>);
  }

  /**
   * The peering's link: the one its port records (so a port's addresses changed by hand are
   * put back, not taken as the new link), else the first no other peering's port uses.
   */
  private linkOf(uid: string): string {
    const port = findRouterPort(this.nb.ovsdb, peeringPortNames(uid).a);
    const recorded = port ? recordedLink(port.external_ids) : undefined;
    if (recorded) return recorded;
    const used = this.nb
      .ownedRows('Logical_Router_Port', ownedByKind('VPCPeering'))
      .flatMap((port) => port.networks);
    const link = freeLink(used);
    if (!link) {
      throw new ReconcileError(
        'NoLinkAddress',
        `every link of ${peeringLinkRange} is used by another peering; delete a peering first`,
      );
    }
    return link;
  }

  /** Whether the object owns any row. */
  private ownsRows(uid: string): boolean {
    const mine = ownedBy(uid);
    return (
      this.nb.ownedRows('Logical_Router_Port', mine).length > 0 ||
      this.nb.ownedRows('Logical_Router_Static_Route', mine).length > 0
    );
  }

  /** The routes rows owned by `uid` hold, as status shows them. */
  private installedRoutes(uid: string): PeeringRoute[] {
    const vpcOfRouter = new Map<string, string>();
    const routes: PeeringRoute[] = [];
    const rows = this.nb.ovsdb.replica.table('Logical_Router_Static_Route');
    for (const router of this.nb.ovsdb.replica.table('Logical_Router').rows()) {
      for (const u of router.static_routes) {
        const r = rows.get(u);
        if (r?.external_ids[ownerKeys.uid] !== uid) continue;
        const ids = router.external_ids;
        const vpc =
          vpcOfRouter.get(router.name) ??
          `${ids[ownerKeys.namespace] ?? ''}/${ids[ownerKeys.name] ?? ''}`;
        vpcOfRouter.set(router.name, vpc);
        routes.push({ vpc, destination: r.ip_prefix, nextHop: r.nexthop });
      }
    }
    return routes.sort((x, y) =>
      `${x.vpc} ${x.destination}`.localeCompare(`${y.vpc} ${y.destination}`),
    );
  }

  private matches(uid: string, desired: DesiredPeering): boolean {
    const c = this.nb.ovsdb;
    const ports = this.nb.ownedRows('Logical_Router_Port', ownedBy(uid));
    if (ports.length !== desired.sides.length) return false;
    return desired.sides.every((side) => {
      const router = findRouter(c, side.router);
      const port = findRouterPort(c, side.port.name);
      return (
        router !== undefined &&
        port !== undefined &&
        router.ports.includes(port._uuid) &&
        changedColumns(port, side.port) === undefined &&
        staticRoutesMatch(c, side.router, uid, side.routes)
      );
    });
  }

  observe(p: VPCPeeringObject): Promise<Observation<PeeringObservation>> {
    const uid = p.metadata.uid ?? '';
    // Being deleted, only the rows it still owns count, whatever it names.
    if (p.metadata.deletionTimestamp) {
      return Promise.resolve({ exists: this.ownsRows(uid), upToDate: false });
    }
    const plan = this.plan(p);
    const owns = this.ownsRows(uid);
    if (plan.kind === 'none') {
      // Rows of a peering no longer wanted go first (update); then the reason is reported.
      if (owns) return Promise.resolve({ exists: true, upToDate: false });
      throw plan.why;
    }
    if (plan.kind === 'partner') {
      const writer = plan.writer.metadata.uid ?? '';
      const port = findRouterPort(this.nb.ovsdb, peeringPortNames(writer).a);
      const link = port ? recordedLink(port.external_ids) : undefined;
      return Promise.resolve({
        exists: true,
        upToDate: !owns,
        observed: {
          acceptedBy: plan.acceptedBy,
          ...(link ? { linkCIDR: link } : {}),
          routes: this.installedRoutes(writer),
        },
      });
    }
    return Promise.resolve({
      exists: owns,
      upToDate: owns && this.matches(uid, plan.desired),
      observed: {
        ...(plan.acceptedBy ? { acceptedBy: plan.acceptedBy } : {}),
        linkCIDR: plan.link,
        routes: this.installedRoutes(uid),
      },
    });
  }

  create(p: VPCPeeringObject): Promise<void> {
    // The plan takes a free link and checks other peerings' routes: made one peering at a
    // time, each sees what the one before wrote.
    return peeringWrites(this.nb, async () => {
      const uid = p.metadata.uid ?? '';
      const plan = this.plan(p);
      if (plan.kind !== 'write') {
        await this.delete(p);
        if (plan.kind === 'none') throw plan.why;
        return;
      }
      // Ports before routes: a route names its port as the way out.
      for (const side of plan.desired.sides) {
        await this.nb.ensureRouterPort(side.router, side.port);
      }
      for (const side of plan.desired.sides) {
        await this.nb.ensureStaticRoutes(side.router, uid, side.routes);
      }
    });
  }

  async update(p: VPCPeeringObject): Promise<void> {
    await this.create(p);
  }

  async delete(p: VPCPeeringObject): Promise<void> {
    await removeRowsOf(this.nb, ownerOf(p, 'VPCPeering'));
  }
}
