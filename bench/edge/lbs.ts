// LoadBalancers programmed: the same Load_Balancer rows (VIP, backends, on the VPC's router and
// its Subnets' switches) written by ovn-nbctl, then through the API by the slb operator, on the
// same OVN in the same run.
import { objectKey } from '../../controllers/kube/index.ts';
import { joinCommands, lbCommands, lbDeleteCommands } from './nbctl-args.ts';
import { lbsProgrammed, ownerName, rowName } from './nb-edge.ts';
import { workBetween, type Work } from './work.ts';
import { lbNetwork, lbObject, lbRows, names, type LbRow } from './topology.ts';
import {
  allReady,
  createAll,
  nbctlMust,
  ready,
  settle,
  timeoutMs,
  type EdgeWorld,
} from './world.ts';

export interface BulkResult {
  /** How many objects (LoadBalancers, NAT rows). */
  count: number;
  /** ovn-nbctl: every row in one run; one run per object, one after another. */
  baseline: { oneRunMs: number; perObjectMs: number };
  /** From the first create sent: the last create answered, all Ready, all rows in NB. */
  kcloud: { createdMs: number; readyMs: number; nbMs: number };
  /** The manager's reconciles from the first create to all Ready and in NB. */
  work: Work;
}

export interface LbResult extends BulkResult {
  members: number;
  switches: number;
}

/** The router and switches the rows go on, once the VPC and its Subnets are Ready. */
async function lbPlace(world: EdgeWorld): Promise<{ router: string; switches: string[] }> {
  const objects = lbNetwork(world.namespace);
  for (const o of objects) await world.clients.create(o);
  const [vpc, ...subnets] = objects;
  if (!vpc) throw new Error('no VPC');
  const router = (await ready(world.watches.vpcs, vpc, (v) => !!v.status?.routerName)).status
    ?.routerName;
  const switches: string[] = [];
  for (const s of subnets) {
    const got = await ready(world.watches.subnets, s, (o) => !!o.status?.switchName);
    switches.push(got.status?.switchName ?? '');
  }
  if (!router) throw new Error('the LoadBalancers’ VPC has no router');
  return { router, switches: switches.sort() };
}

/** Writes the rows with ovn-nbctl (timed), checks they are all in NB, and deletes them. */
async function baseline(
  world: EdgeWorld,
  rows: readonly LbRow[],
  where: { router: string; switches: string[] },
  perRow: boolean,
): Promise<number> {
  const { layout, clock, nb } = world;
  await settle(layout);
  const started = clock.now();
  if (perRow) {
    for (const r of rows) {
      await nbctlMust(layout, joinCommands(lbCommands(r, where.router, where.switches)), 'lb-add');
    }
  } else {
    await nbctlMust(
      layout,
      joinCommands(rows.flatMap((r) => lbCommands(r, where.router, where.switches))),
      'lb-add',
    );
  }
  const ms = clock.now() - started;
  await nb.when(
    (v) => lbsProgrammed(v, rows, where, rowName) === rows.length,
    timeoutMs,
    'the ovn-nbctl rows in NB',
  );
  await nbctlMust(layout, joinCommands(lbDeleteCommands(rows)), 'lb-del');
  await nb.when(
    (v) => lbsProgrammed(v, rows, where, rowName) === 0,
    timeoutMs,
    'the ovn-nbctl rows gone',
  );
  return ms;
}

export async function measureLbs(
  world: EdgeWorld,
  opts: { lbs: number; members: number; concurrency: number },
): Promise<LbResult> {
  const { clock, nb, print } = world;
  const where = await lbPlace(world);
  const baseRows = lbRows(opts.lbs, opts.members, names.baselineLb);
  const oneRunMs = await baseline(world, baseRows, where, false);
  print(`LoadBalancers: ovn-nbctl, one run: ${String(oneRunMs)} ms`);
  const perObjectMs = await baseline(world, baseRows, where, true);
  print(`LoadBalancers: ovn-nbctl, one run per row: ${String(perObjectMs)} ms`);

  await settle(world.layout);
  const rows = lbRows(opts.lbs, opts.members, names.lb);
  const objects = Array.from({ length: opts.lbs }, (_, i) =>
    lbObject(world.namespace, i, opts.members),
  );
  // Watched from before the first create: the moment is the notification's, not a late look.
  const inNb = nb.when(
    (v) => lbsProgrammed(v, rows, where, ownerName(world.namespace)) === rows.length,
    timeoutMs,
    `${String(opts.lbs)} LoadBalancers' rows in NB`,
  );
  const before = await world.work();
  const t0 = clock.now();
  await createAll(world, objects, opts.concurrency);
  const createdMs = clock.now() - t0;
  const readyAt = await allReady(
    world,
    world.watches.lbs,
    objects.map((o) => objectKey(o)),
    `${String(opts.lbs)} LoadBalancers Ready`,
  );
  const nbAt = await inNb;
  const work = workBetween(before, await world.work());
  const kcloud = { createdMs, readyMs: readyAt - t0, nbMs: nbAt - t0 };
  print(
    `LoadBalancers: kcloud all Ready after ${String(kcloud.readyMs)} ms, in NB after ${String(kcloud.nbMs)} ms`,
  );
  return {
    count: opts.lbs,
    members: opts.members,
    switches: where.switches.length,
    baseline: { oneRunMs, perObjectMs },
    kcloud,
    work,
  };
}
