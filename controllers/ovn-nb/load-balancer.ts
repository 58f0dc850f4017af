// OVN Load_Balancer rows owned by one object and attached to logical routers: a NATGateway's
// port forwards (OVN's NAT table has no ports, so an EIP:port forward is a load balancer VIP
// on the VPC router, as OpenStack's OVN driver does it) and, later, a LoadBalancer's VIPs.
// Load_Balancer is a root table that routers refer to weakly: deleting a row detaches it from
// every router, and a row no longer wanted must be deleted, not just detached.
import { operationsFor, type nb, type Operation, type OvsdbClient } from '../ovsdb/index.ts';

const ops = operationsFor<nb.Tables>();

/** A load balancer as its owner wants it; rows are matched by name. */
export interface DesiredLoadBalancer {
  name: string;
  protocol: 'tcp' | 'udp';
  /** `vip:port` → `backend:port[,backend:port…]`. */
  vips: Record<string, string>;
  options?: Record<string, string>;
  external_ids: Record<string, string>;
}

/** Which rows belong to the owner, by their external_ids. */
export type LoadBalancerOwner = (externalIds: Record<string, string>) => boolean;

type Client = OvsdbClient<nb.Tables>;

const sameMap = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length &&
  Object.entries(a).every(([k, v]) => b[k] === v);

/** The owner's load balancers. */
export function loadBalancersOf(c: Client, owner: LoadBalancerOwner): nb.LoadBalancer[] {
  return c.replica.table('Load_Balancer').filter((lb) => owner(lb.external_ids));
}

/**
 * The operations that make the owner's load balancers exactly `desired`, each attached to the
 * routers named (and to no other router): changed rows updated in place, missing ones
 * inserted, extra ones deleted. Empty when everything matches. Throws when a router is missing.
 */
export function loadBalancerOperations(
  c: Client,
  owner: LoadBalancerOwner,
  desired: readonly DesiredLoadBalancer[],
  routerNames: readonly string[],
): Operation[] {
  const routers = routerNames.map((name) => {
    const r = c.replica.table('Logical_Router').findByName(name);
    if (!r) throw new Error(`logical router ${name} does not exist`);
    return r;
  });
  const operations: Operation[] = [];
  const current = new Map(loadBalancersOf(c, owner).map((lb) => [lb.name, lb]));
  const wanted = new Map(desired.map((d) => [d.name, d]));
  for (const [name, lb] of current) {
    if (!wanted.has(name)) {
      operations.push(ops.delete('Load_Balancer', [['_uuid', '==', lb._uuid]]));
    }
  }
  const attach = new Map<string, string[]>();
  desired.forEach((want, i) => {
    const row = {
      name: want.name,
      protocol: want.protocol,
      vips: want.vips,
      options: want.options ?? {},
      external_ids: want.external_ids,
    };
    const have = current.get(want.name);
    if (!have) {
      const uuidName = `new_lb_${String(i)}`;
      operations.push(ops.insert('Load_Balancer', row, uuidName));
      for (const r of routers) attach.set(r._uuid, [...(attach.get(r._uuid) ?? []), uuidName]);
      return;
    }
    if (
      have.protocol !== row.protocol ||
      !sameMap(have.vips, row.vips) ||
      !sameMap(have.options, row.options) ||
      !sameMap(have.external_ids, row.external_ids)
    ) {
      operations.push(ops.update('Load_Balancer', [['_uuid', '==', have._uuid]], row));
    }
    for (const r of routers) {
      if (!r.load_balancer.includes(have._uuid)) {
        attach.set(r._uuid, [...(attach.get(r._uuid) ?? []), have._uuid]);
      }
    }
  });
  for (const [uuid, lbs] of attach) {
    operations.push(
      ops.mutate('Logical_Router', [['_uuid', '==', uuid]], [['load_balancer', 'insert', lbs]]),
    );
  }
  // Attached where it should not be (a router it was moved from): detached.
  const wantedUuids = new Set(
    [...current.values()].filter((lb) => wanted.has(lb.name)).map((lb) => lb._uuid),
  );
  const routerUuids = new Set(routers.map((r) => r._uuid));
  for (const r of c.replica.table('Logical_Router').rows()) {
    if (routerUuids.has(r._uuid)) continue;
    const stray = r.load_balancer.filter((u) => wantedUuids.has(u));
    if (stray.length > 0) {
      operations.push(
        ops.mutate(
          'Logical_Router',
          [['_uuid', '==', r._uuid]],
          [['load_balancer', 'delete', stray]],
        ),
      );
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
): boolean {
  if (routerNames.some((n) => !c.replica.table('Logical_Router').findByName(n))) return false;
  return loadBalancerOperations(c, owner, desired, routerNames).length === 0;
}

/** Makes the owner's load balancers exactly `desired`, in one transaction; whether it wrote. */
export async function ensureLoadBalancers(
  c: Client,
  owner: LoadBalancerOwner,
  desired: readonly DesiredLoadBalancer[],
  routerNames: readonly string[],
): Promise<boolean> {
  const operations = loadBalancerOperations(c, owner, desired, routerNames);
  if (operations.length === 0) return false;
  await c.transact(operations);
  return true;
}

/** Deletes every load balancer of the owner (which detaches them from their routers). */
export function deleteLoadBalancersOf(c: Client, owner: LoadBalancerOwner): Promise<boolean> {
  return ensureLoadBalancers(c, owner, [], []);
}
