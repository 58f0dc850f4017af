// OVN Load_Balancer rows owned by one object and attached to logical routers: a NATGateway's
// port forwards (OVN's NAT table has no ports, so an EIP:port forward is a load balancer VIP
// on the VPC router, as OpenStack's OVN driver does it) and a LoadBalancer's listeners (on
// the VPC router and its Subnets' switches, with health checks).
// Load_Balancer is a root table that routers and switches refer to weakly: deleting a row
// detaches it everywhere, and a row no longer wanted must be deleted, not just detached. Its
// health checks are non-root rows it holds strongly: replaced ones are collected by the server.
import { operationsFor, type nb, type Operation, type OvsdbClient } from '../ovsdb/index.ts';

const ops = operationsFor<nb.Tables>();

/** A load balancer as its owner wants it; rows are matched by name. */
export interface DesiredLoadBalancer {
  name: string;
  protocol: 'tcp' | 'udp';
  /** `vip:port` → `backend:port[,backend:port…]`. */
  vips: Record<string, string>;
  options?: Record<string, string>;
  /** Hash on these fields instead of OVN's default 5-tuple dp_hash. */
  selection_fields?: nb.LoadBalancer['selection_fields'];
  /** Backend address → `logical_port:monitor_source_ip`, for health checks. */
  ip_port_mappings?: Record<string, string>;
  health_checks?: DesiredHealthCheck[];
  external_ids: Record<string, string>;
}

/** A Load_Balancer_Health_Check row: the `vip:port` it checks the backends of, and its timers. */
export interface DesiredHealthCheck {
  vip: string;
  options: Record<string, string>;
}

/** Which rows belong to the owner, by their external_ids. */
export type LoadBalancerOwner = (externalIds: Record<string, string>) => boolean;

type Client = OvsdbClient<nb.Tables>;

const sameMap = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length &&
  Object.entries(a).every(([k, v]) => b[k] === v);

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');

const healthCheckKey = (h: DesiredHealthCheck) =>
  `${h.vip}|${Object.entries(h.options)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}`;

/** Whether the row's health checks are exactly `want` (the table must be monitored to tell). */
function sameHealthChecks(c: Client, have: nb.LoadBalancer, want: readonly DesiredHealthCheck[]) {
  if (have.health_check.length !== want.length) return false;
  if (want.length === 0) return true;
  const table = c.replica.table('Load_Balancer_Health_Check');
  const current = have.health_check.map((u) => table.get(u));
  if (current.some((h) => h === undefined)) return false;
  return sameSet(
    current.map((h) => healthCheckKey(h as DesiredHealthCheck)),
    want.map(healthCheckKey),
  );
}

/** Which datapaths hold a load balancer: a router's or a switch's `load_balancer` column. */
type Holder = 'Logical_Router' | 'Logical_Switch';

interface HolderRow {
  _uuid: string;
  load_balancer: string[];
}

/** The owner's load balancers. */
export function loadBalancersOf(c: Client, owner: LoadBalancerOwner): nb.LoadBalancer[] {
  return c.replica.table('Load_Balancer').filter((lb) => owner(lb.external_ids));
}

/**
 * The operations that make the owner's load balancers exactly `desired`, each attached to the
 * routers named (and to no other router) and, when `switchNames` is given, to those switches
 * (and to no other switch; left out, switches are not looked at): changed rows updated in
 * place, missing ones inserted, extra ones deleted. Empty when everything matches. Throws when
 * a router or switch is missing.
 */
export function loadBalancerOperations(
  c: Client,
  owner: LoadBalancerOwner,
  desired: readonly DesiredLoadBalancer[],
  routerNames: readonly string[],
  switchNames?: readonly string[],
): Operation[] {
  const find = (table: Holder, name: string): HolderRow => {
    const r = c.replica.table(table).findByName(name);
    if (!r) {
      throw new Error(
        `logical ${table === 'Logical_Router' ? 'router' : 'switch'} ${name} does not exist`,
      );
    }
    return r;
  };
  const holders: { table: Holder; wanted: HolderRow[] }[] = [
    { table: 'Logical_Router', wanted: routerNames.map((n) => find('Logical_Router', n)) },
  ];
  if (switchNames) {
    holders.push({
      table: 'Logical_Switch',
      wanted: switchNames.map((n) => find('Logical_Switch', n)),
    });
  }
  const operations: Operation[] = [];
  const current = new Map(loadBalancersOf(c, owner).map((lb) => [lb.name, lb]));
  const wanted = new Map(desired.map((d) => [d.name, d]));
  for (const [name, lb] of current) {
    if (!wanted.has(name)) {
      operations.push(ops.delete('Load_Balancer', [['_uuid', '==', lb._uuid]]));
    }
  }
  const attach = new Map<Holder, Map<string, string[]>>(holders.map((h) => [h.table, new Map()]));
  const add = (table: Holder, holder: string, lb: string) => {
    const m = attach.get(table);
    m?.set(holder, [...(m.get(holder) ?? []), lb]);
  };
  desired.forEach((want, i) => {
    const checks = want.health_checks ?? [];
    const checkNames = checks.map((_, j) => `new_lb_${String(i)}_hc_${String(j)}`);
    const insertChecks = () => {
      checks.forEach((h, j) => {
        operations.push(
          ops.insert(
            'Load_Balancer_Health_Check',
            { vip: h.vip, options: h.options, external_ids: {} },
            checkNames[j],
          ),
        );
      });
    };
    const row = {
      name: want.name,
      protocol: want.protocol,
      vips: want.vips,
      options: want.options ?? {},
      selection_fields: want.selection_fields ?? [],
      ip_port_mappings: want.ip_port_mappings ?? {},
      external_ids: want.external_ids,
    };
    const have = current.get(want.name);
    if (!have) {
      const uuidName = `new_lb_${String(i)}`;
      insertChecks();
      operations.push(ops.insert('Load_Balancer', { ...row, health_check: checkNames }, uuidName));
      for (const h of holders) for (const r of h.wanted) add(h.table, r._uuid, uuidName);
      return;
    }
    const checksMatch = sameHealthChecks(c, have, checks);
    if (!checksMatch) insertChecks();
    if (
      !checksMatch ||
      have.protocol !== row.protocol ||
      !sameMap(have.vips, row.vips) ||
      !sameMap(have.options, row.options) ||
      !sameSet(have.selection_fields, row.selection_fields) ||
      !sameMap(have.ip_port_mappings, row.ip_port_mappings) ||
      !sameMap(have.external_ids, row.external_ids)
    ) {
      operations.push(
        ops.update(
          'Load_Balancer',
          [['_uuid', '==', have._uuid]],
          checksMatch ? row : { ...row, health_check: checkNames },
        ),
      );
    }
    for (const h of holders) {
      for (const r of h.wanted) {
        if (!r.load_balancer.includes(have._uuid)) add(h.table, r._uuid, have._uuid);
      }
    }
  });
  for (const [table, byHolder] of attach) {
    for (const [uuid, lbs] of byHolder) {
      operations.push(
        ops.mutate(table, [['_uuid', '==', uuid]], [['load_balancer', 'insert', lbs]]),
      );
    }
  }
  // Attached where it should not be (a router or switch it was moved from): detached.
  const wantedUuids = new Set(
    [...current.values()].filter((lb) => wanted.has(lb.name)).map((lb) => lb._uuid),
  );
  for (const h of holders) {
    const keep = new Set(h.wanted.map((r) => r._uuid));
    for (const r of c.replica.table(h.table).rows()) {
      if (keep.has(r._uuid)) continue;
      const stray = r.load_balancer.filter((u) => wantedUuids.has(u));
      if (stray.length > 0) {
        operations.push(
          ops.mutate(h.table, [['_uuid', '==', r._uuid]], [['load_balancer', 'delete', stray]]),
        );
      }
    }
  }
  return operations;
}

/** Whether the owner's load balancers are exactly `desired`, attached to exactly `routerNames`. */
export function loadBalancersMatch(
  c: Client,
  owner: LoadBalancerOwner,
  desired: readonly DesiredLoadBalancer[],
  routerNames: readonly string[],
  switchNames?: readonly string[],
): boolean {
  if (routerNames.some((n) => !c.replica.table('Logical_Router').findByName(n))) return false;
  if (switchNames?.some((n) => !c.replica.table('Logical_Switch').findByName(n))) return false;
  return loadBalancerOperations(c, owner, desired, routerNames, switchNames).length === 0;
}

/** Makes the owner's load balancers exactly `desired`, in one transaction; whether it wrote. */
export async function ensureLoadBalancers(
  c: Client,
  owner: LoadBalancerOwner,
  desired: readonly DesiredLoadBalancer[],
  routerNames: readonly string[],
  switchNames?: readonly string[],
): Promise<boolean> {
  const operations = loadBalancerOperations(c, owner, desired, routerNames, switchNames);
  if (operations.length === 0) return false;
  await c.transact(operations);
  return true;
}

/** Deletes every load balancer of the owner (which detaches them from their routers). */
export function deleteLoadBalancersOf(c: Client, owner: LoadBalancerOwner): Promise<boolean> {
  return ensureLoadBalancers(c, owner, [], []);
}
