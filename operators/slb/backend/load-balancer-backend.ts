// A LoadBalancer's backend: the NetworkInterfaces holding its addresses, and one OVN
// Load_Balancer row per listener on its VPC's router and on the switches of the VPC's Subnets.
// Everything is checked before anything is written to OVN: a member outside the VPC refuses
// the whole LoadBalancer, and its rows are not written (or, if it had some, left as they were).
import { type ExternalClient, type Observation } from '../../../controllers/external/index.ts';
import type { Cache } from '../../../controllers/informer/index.ts';
import type { ObjectClient } from '../../../controllers/kube/index.ts';
import {
  ensureLoadBalancers,
  loadBalancerOperations,
  loadBalancersOf,
  type DesiredLoadBalancer,
  type LoadBalancerOwner,
} from '../../../controllers/ovn-nb/index.ts';
import type { nb, OvsdbClient } from '../../../controllers/ovsdb/index.ts';
import type { EIPObject } from '../../eip/index.ts';
import type { NetworkInterfaceObject } from '../../vpc/index.ts';
import type { LoadBalancerObject, LoadBalancerStatus } from '../api/index.ts';
import { desiredRows, ownerKeys, type ResolvedMember } from '../ovn/desired.ts';
import { placement, resolveMembers, type Caches } from './references.ts';
import { allocating, held, reservation, rolesOf, stale, type Role } from './reservations.ts';

/** What OVN's service monitor says of one backend of a row: online, offline, or no verdict. */
export type MemberHealth = (
  protocol: 'tcp' | 'udp',
  ip: string,
  port: number,
) => 'online' | 'offline' | undefined;

export interface LoadBalancerObservation {
  vip?: string;
  eip?: string;
  listeners: NonNullable<LoadBalancerStatus['listeners']>;
  members: NonNullable<LoadBalancerStatus['members']>;
}

export interface LoadBalancerBackendOptions {
  nb: OvsdbClient<nb.Tables>;
  caches: Caches & {
    nics: Pick<Cache<NetworkInterfaceObject>, 'get'>;
    eips: Pick<Cache<EIPObject>, 'inNamespace'>;
  };
  nicClient: ObjectClient<NetworkInterfaceObject>;
  fieldManager: string;
  health: MemberHealth;
}

export const ownedBy =
  (uid: string): LoadBalancerOwner =>
  (ids) =>
    ids[ownerKeys.kind] === 'LoadBalancer' && ids[ownerKeys.uid] === uid;

interface Plan {
  rows: DesiredLoadBalancer[];
  routerName: string;
  switchNames: string[];
  members: Map<string, ResolvedMember[]>;
  vip: string;
  eip?: string;
}

export class LoadBalancerBackend implements ExternalClient<
  LoadBalancerObject,
  LoadBalancerObservation
> {
  private readonly o: LoadBalancerBackendOptions;

  constructor(opts: LoadBalancerBackendOptions) {
    this.o = opts;
  }

  /** The roles whose interface is still to be applied. */
  private missing(lb: LoadBalancerObject): Role[] {
    return rolesOf(lb).filter((r) => held(this.o.caches.nics, lb, r).state === 'missing');
  }

  /** The roles whose interface is there, the LoadBalancer's, but to be applied again. */
  private stale(lb: LoadBalancerObject): Role[] {
    return rolesOf(lb).filter((r) => stale(this.o.caches.nics, lb, r));
  }

  /**
   * The address of the EIP the EIP operator has bound to this LoadBalancer (it gives the VPC
   * router its gateway port first), if any.
   */
  private eipOf(lb: LoadBalancerObject): string | undefined {
    const label = `LoadBalancer/${lb.metadata.name ?? ''}`;
    return this.o.caches.eips
      .inNamespace(lb.metadata.namespace ?? '')
      .find(
        (e) =>
          e.spec.binding?.loadBalancerRef?.name === lb.metadata.name &&
          e.status?.boundTo === label &&
          e.status.address,
      )?.status?.address;
  }

  /** The rows as they should be, once the addresses are held; undefined while they are not. */
  private plan(lb: LoadBalancerObject): Plan | undefined {
    const where = placement(this.o.caches, lb);
    const members = resolveMembers(this.o.caches, lb, where);
    const addresses = new Map(rolesOf(lb).map((r) => [r, held(this.o.caches.nics, lb, r)]));
    const vip = addresses.get('vip');
    const monitor = addresses.get('monitor');
    if (vip?.state !== 'held' || (monitor && monitor.state !== 'held')) return undefined;
    const eip = this.eipOf(lb);
    const rows = desiredRows({
      lb,
      vip: vip.ip,
      members,
      ...(monitor?.state === 'held' ? { monitorSourceIp: monitor.ip } : {}),
      ...(eip ? { eip } : {}),
    });
    return {
      rows,
      routerName: where.routerName,
      switchNames: where.switchNames,
      members,
      vip: vip.ip,
      ...(eip ? { eip } : {}),
    };
  }

  private observation(lb: LoadBalancerObject, p: Plan): LoadBalancerObservation {
    const checked = new Set(lb.spec.backendPools.filter((b) => b.healthCheck).map((b) => b.name));
    const members: LoadBalancerObservation['members'] = [];
    const serving = new Map<string, { members: number; healthy: number }>();
    for (const pool of lb.spec.backendPools) {
      const protocols = new Set(
        lb.spec.listeners.filter((l) => l.backendPool === pool.name).map((l) => l.protocol),
      );
      const protocol = protocols.has('UDP') && !protocols.has('TCP') ? 'udp' : 'tcp';
      let count = 0;
      let healthy = 0;
      for (const m of p.members.get(pool.name) ?? []) {
        let health: 'Online' | 'Offline' | 'Unknown' | 'Draining' | 'Unchecked' = 'Unchecked';
        if (m.drain) health = 'Draining';
        else if (checked.has(pool.name)) {
          const h = this.o.health(protocol, m.ip, m.port);
          health = h === 'online' ? 'Online' : h === 'offline' ? 'Offline' : 'Unknown';
        }
        if (!m.drain) {
          count++;
          if (health === 'Online' || health === 'Unchecked') healthy++;
        }
        members.push({
          pool: pool.name,
          target: m.target,
          address: `${m.ip}:${String(m.port)}`,
          health,
        });
      }
      serving.set(pool.name, { members: count, healthy });
    }
    return {
      vip: p.vip,
      ...(p.eip ? { eip: p.eip } : {}),
      members,
      listeners: lb.spec.listeners.map((l) => ({
        name: l.name,
        members: serving.get(l.backendPool)?.members ?? 0,
        healthyMembers: serving.get(l.backendPool)?.healthy ?? 0,
      })),
    };
  }

  observe(lb: LoadBalancerObject): Promise<Observation<LoadBalancerObservation>> {
    const uid = lb.metadata.uid ?? '';
    const rows = loadBalancersOf(this.o.nb, ownedBy(uid));
    if (lb.metadata.deletionTimestamp) {
      // Its interfaces are the garbage collector's once the LoadBalancer is gone.
      return Promise.resolve({
        exists: rows.length > 0,
        upToDate: false,
        observed: { listeners: [], members: [] },
      });
    }
    if (this.missing(lb).length > 0) {
      return Promise.resolve({ exists: false, upToDate: false });
    }
    const p = this.plan(lb);
    if (!p) throw allocating(lb);
    const upToDate =
      this.stale(lb).length === 0 &&
      loadBalancerOperations(this.o.nb, ownedBy(uid), p.rows, [p.routerName], p.switchNames)
        .length === 0;
    return Promise.resolve({
      exists: rows.length > 0,
      upToDate,
      observed: this.observation(lb, p),
    });
  }

  private async reserve(lb: LoadBalancerObject, signal: AbortSignal): Promise<void> {
    for (const role of [...this.missing(lb), ...this.stale(lb)]) {
      const nic = reservation(lb, role);
      // Forced: the interface is the LoadBalancer's, whoever edited its fields since.
      await this.o.nicClient.patch(nic.metadata.namespace, nic.metadata.name ?? '', 'apply', nic, {
        fieldManager: this.o.fieldManager,
        force: true,
        signal,
      });
    }
  }

  private async write(lb: LoadBalancerObject, signal: AbortSignal): Promise<void> {
    // Every check runs before anything is written: placement and members throw first.
    const where = placement(this.o.caches, lb);
    resolveMembers(this.o.caches, lb, where);
    await this.reserve(lb, signal);
    const p = this.plan(lb);
    if (!p) throw allocating(lb);
    await ensureLoadBalancers(
      this.o.nb,
      ownedBy(lb.metadata.uid ?? ''),
      p.rows,
      [p.routerName],
      p.switchNames,
    );
  }

  create(lb: LoadBalancerObject, signal: AbortSignal): Promise<void> {
    return this.write(lb, signal);
  }

  update(lb: LoadBalancerObject, _o: unknown, signal: AbortSignal): Promise<void> {
    return this.write(lb, signal);
  }

  async delete(lb: LoadBalancerObject): Promise<void> {
    await ensureLoadBalancers(this.o.nb, ownedBy(lb.metadata.uid ?? ''), [], [], []);
  }
}
