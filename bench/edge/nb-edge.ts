// The benchmark's own view of the northbound database: Load_Balancer and NAT rows and what they
// are attached to, and the moments they change. The counts are pure functions of the rows.
import type { Clock } from '../../controllers/clock/index.ts';
import type { Logger } from '../../controllers/logging/logger.ts';
import type { OvsdbClient, nb } from '../../controllers/ovsdb/index.ts';
import { NbReplica } from '../lib/nb-replica.ts';
import type { NatRow } from './nbctl-args.ts';
import type { LbRow } from './topology.ts';

export interface NbView {
  lbs: readonly nb.LoadBalancer[];
  routers: readonly nb.LogicalRouter[];
  switches: readonly nb.LogicalSwitch[];
  nats: readonly nb.NAT[];
}

/** The name a kcloud LoadBalancer's row stands for (its owner's), if the row is one of ns's. */
export const ownerName =
  (namespace: string) =>
  (lb: nb.LoadBalancer): string | undefined =>
    lb.external_ids['kcloud.io/kind'] === 'LoadBalancer' &&
    lb.external_ids['kcloud.io/namespace'] === namespace
      ? lb.external_ids['kcloud.io/name']
      : undefined;

/** The name of a row written by hand. */
export const rowName = (lb: nb.LoadBalancer): string | undefined => lb.name;

/**
 * How many of `rows` are programmed: a Load_Balancer for it (found by `nameOf`) whose VIP sends
 * to exactly its backends, attached to the router and to every switch.
 */
export function lbsProgrammed(
  view: NbView,
  rows: readonly LbRow[],
  where: { router: string; switches: readonly string[] },
  nameOf: (lb: nb.LoadBalancer) => string | undefined,
): number {
  const router = view.routers.find((r) => r.name === where.router);
  const switches = where.switches.map((s) => view.switches.find((x) => x.name === s));
  if (!router || switches.some((s) => s === undefined)) return 0;
  const byName = new Map<string, nb.LoadBalancer>();
  for (const lb of view.lbs) {
    const name = nameOf(lb);
    if (name !== undefined) byName.set(name, lb);
  }
  let n = 0;
  for (const row of rows) {
    const lb = byName.get(row.name);
    if (!lb) continue;
    const backends = (lb.vips[row.vip] ?? '').split(',').filter(Boolean).sort();
    const want = [...row.backends].sort();
    if (backends.length !== want.length || backends.some((b, i) => b !== want[i])) continue;
    if (!router.load_balancer.includes(lb._uuid)) continue;
    if (!switches.every((s) => s?.load_balancer.includes(lb._uuid))) continue;
    n++;
  }
  return n;
}

/** How many of `rows` are dnat_and_snat rows on the router, each to its own logical port. */
export function natsProgrammed(view: NbView, router: string, rows: readonly NatRow[]): number {
  const r = view.routers.find((x) => x.name === router);
  if (!r) return 0;
  const onRouter = new Set(r.nat);
  const have = new Set(
    view.nats
      .filter((n) => onRouter.has(n._uuid) && n.type === 'dnat_and_snat')
      .map((n) => `${n.external_ip} ${n.logical_ip} ${n.logical_port ?? ''}`),
  );
  return rows.filter((w) => have.has(`${w.externalIp} ${w.logicalIp} ${w.logicalPort}`)).length;
}

/** The dnat_and_snat rows for `externalIp` on the router. */
export function natsFor(view: NbView, router: string, externalIp: string): nb.NAT[] {
  const r = view.routers.find((x) => x.name === router);
  const onRouter = new Set(r?.nat ?? []);
  return view.nats.filter(
    (n) => onRouter.has(n._uuid) && n.type === 'dnat_and_snat' && n.external_ip === externalIp,
  );
}

export class NbEdgeWatch {
  private readonly replica: NbReplica;

  private constructor(replica: NbReplica) {
    this.replica = replica;
  }

  get client(): OvsdbClient<nb.Tables> {
    return this.replica.client;
  }

  static async start(endpoint: string, clock: Clock, log: Logger): Promise<NbEdgeWatch> {
    return new NbEdgeWatch(
      await NbReplica.start(endpoint, clock, log, [
        { table: 'Load_Balancer' },
        { table: 'Logical_Router' },
        { table: 'Logical_Switch' },
        { table: 'NAT' },
        { table: 'Logical_Switch_Port' },
      ]),
    );
  }

  view(): NbView {
    const r = this.client.replica;
    return {
      lbs: r.table('Load_Balancer').rows(),
      routers: r.table('Logical_Router').rows(),
      switches: r.table('Logical_Switch').rows(),
      nats: r.table('NAT').rows(),
    };
  }

  portUp(name: string): boolean {
    return this.client.replica.table('Logical_Switch_Port').findByName(name)?.up === true;
  }

  /** When `test` first holds over the rows: now, or after the notification that made it hold. */
  when(test: (view: NbView) => boolean, timeoutMs: number, what: string): Promise<number> {
    return this.replica.when(() => test(this.view()), timeoutMs, what);
  }

  close(): Promise<void> {
    return this.replica.close();
  }
}
