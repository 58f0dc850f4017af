// The OVN Load_Balancer rows a LoadBalancer stands for: one per listener, since a listener's
// algorithm, persistence and health check are options of the whole row in OVN.
import type { DesiredLoadBalancer } from '../../../controllers/ovn-nb/index.ts';
import type { LoadBalancerObject } from '../api/index.ts';

/**
 * The external_ids keys on every row: the owner's the same as the VPC operator's rows carry
 * (its orphan sweep passes over kinds it does not own), and the listener a row is for.
 */
export const ownerKeys = {
  kind: 'kcloud.io/kind',
  uid: 'kcloud.io/uid',
  namespace: 'kcloud.io/namespace',
  name: 'kcloud.io/name',
  listener: 'kcloud.io/listener',
} as const;

export const ownerKind = 'LoadBalancer';

/** A member as an address: where its connections go, and the port its health is probed on. */
export interface ResolvedMember {
  pool: string;
  /** Kind/name, or the ip itself. */
  target: string;
  ip: string;
  port: number;
  drain: boolean;
  /** Its share of new connections against the pool's other members. */
  weight: number;
  /** The member's logical switch port, which health checks need. */
  logicalPort?: string;
}

export interface DesiredInput {
  lb: LoadBalancerObject;
  vip: string;
  /** Per pool name, its members. */
  members: ReadonlyMap<string, readonly ResolvedMember[]>;
  /** The Subnet address OVN's service monitor probes from; needed when a pool has a check. */
  monitorSourceIp?: string;
  /** The address of the EIP bound to the LoadBalancer: each listener is reached there too. */
  eip?: string;
}

export const rowName = (uid: string, listener: string) => `slb-${uid}-${listener}`;

/** The most backend entries one listener's row is given: a select group of as many buckets. */
export const maxBackendEntries = 256;

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * The backends of a VIP with weights: OVN's Load_Balancer has no weight per backend, but it
 * spreads new connections evenly over the entries of a VIP's list, duplicates included (one
 * select-group bucket each), so a backend named w times gets w shares. Weights are divided by
 * their greatest common divisor (1, 2, 3 and 10, 20, 30 are the same list); a backend two
 * members name gets both their weights.
 */
export function weightedBackends(
  members: readonly Pick<ResolvedMember, 'ip' | 'port' | 'weight'>[],
): string[] {
  const shares = new Map<string, number>();
  for (const m of members) {
    const key = `${m.ip}:${String(m.port)}`;
    shares.set(key, (shares.get(key) ?? 0) + m.weight);
  }
  const divisor = [...shares.values()].reduce((a, b) => gcd(a, b), 0) || 1;
  return [...shares].flatMap(([key, w]) => Array.from({ length: w / divisor }, () => key));
}

/** The rows of a LoadBalancer, each tagged with its uid; a drained member is left out of vips. */
export function desiredRows(input: DesiredInput): DesiredLoadBalancer[] {
  const { lb, vip } = input;
  const uid = lb.metadata.uid ?? '';
  const pools = new Map(lb.spec.backendPools.map((p) => [p.name, p]));
  return lb.spec.listeners.map((l) => {
    const pool = pools.get(l.backendPool);
    const members = input.members.get(l.backendPool) ?? [];
    const serving = members.filter((m) => !m.drain);
    const key = `${vip}:${String(l.port)}`;
    const keys = [key, ...(input.eip ? [`${input.eip}:${String(l.port)}`] : [])];
    const backends = weightedBackends(serving);
    const options: Record<string, string> = {};
    if (l.sessionPersistence) {
      options.affinity_timeout = String(l.sessionPersistence.timeoutSeconds);
    }
    const row: DesiredLoadBalancer = {
      name: rowName(uid, l.name),
      protocol: l.protocol === 'UDP' ? 'udp' : 'tcp',
      vips: Object.fromEntries(keys.map((k) => [k, backends.join(',')])),
      options,
      external_ids: {
        [ownerKeys.kind]: ownerKind,
        [ownerKeys.uid]: uid,
        [ownerKeys.namespace]: lb.metadata.namespace ?? '',
        [ownerKeys.name]: lb.metadata.name ?? '',
        [ownerKeys.listener]: l.name,
      },
    };
    if ((l.algorithm ?? 'FiveTupleHash') === 'SourceIPHash') row.selection_fields = ['ip_src'];
    const check = pool?.healthCheck;
    if (check && input.monitorSourceIp) {
      // OVN leaves out offline backends only for the vips a health check names.
      row.health_checks = keys.map((k) => ({
        vip: k,
        options: {
          interval: String(check.intervalSeconds ?? 5),
          timeout: String(check.timeoutSeconds ?? 3),
          success_count: String(check.healthyThreshold ?? 2),
          failure_count: String(check.unhealthyThreshold ?? 3),
        },
      }));
      const mappings: Record<string, string> = {};
      for (const m of serving) {
        if (m.logicalPort) mappings[m.ip] = `${m.logicalPort}:${input.monitorSourceIp}`;
      }
      row.ip_port_mappings = mappings;
    }
    return row;
  });
}
