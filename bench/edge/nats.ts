// NAT rows: N EIPs bound to N NetworkInterfaces (a distributed dnat_and_snat row each on the
// VPC's router), and the same rows written by ovn-nbctl lr-nat-add, on the same OVN in the same
// run.
import { objectKey } from '../../controllers/kube/index.ts';
import type { NetworkInterfaceObject } from '../../operators/vpc/api/index.ts';
import { hasPort } from '../vpc/port-up.ts';
import type { BulkResult } from './lbs.ts';
import { joinCommands, macOf, natAddCommand, natDeleteCommand, type NatRow } from './nbctl-args.ts';
import { natsProgrammed } from './nb-edge.ts';
import { workBetween } from './work.ts';
import { eipObject, natAddressOf, natNetwork, names } from './topology.ts';
import {
  allReady,
  createAll,
  nbctlMust,
  ready,
  settle,
  timeoutMs,
  type EdgeWorld,
} from './world.ts';

async function baseline(
  world: EdgeWorld,
  router: string,
  rows: readonly NatRow[],
  perRow: boolean,
): Promise<number> {
  const { layout, clock, nb } = world;
  await settle(layout);
  const started = clock.now();
  if (perRow) {
    for (const r of rows) await nbctlMust(layout, natAddCommand(router, r), 'lr-nat-add');
  } else {
    await nbctlMust(layout, joinCommands(rows.map((r) => natAddCommand(router, r))), 'lr-nat-add');
  }
  const ms = clock.now() - started;
  await nb.when(
    (v) => natsProgrammed(v, router, rows) === rows.length,
    timeoutMs,
    'the ovn-nbctl NAT rows in NB',
  );
  await nbctlMust(
    layout,
    joinCommands(rows.map((r) => natDeleteCommand(router, r.externalIp))),
    'lr-nat-del',
  );
  await nb.when((v) => natsProgrammed(v, router, rows) === 0, timeoutMs, 'the NAT rows gone');
  return ms;
}

export async function measureNats(
  world: EdgeWorld,
  opts: { nats: number; concurrency: number },
): Promise<BulkResult> {
  const { clock, nb, print, namespace } = world;
  const [vpc, ...rest] = natNetwork(namespace, opts.nats);
  if (!vpc) throw new Error('no VPC');
  await world.clients.create(vpc);
  await createAll(world, rest, opts.concurrency);
  const router =
    (await ready(world.watches.vpcs, vpc, (v) => !!v.status?.routerName)).status?.routerName ?? '';
  const nics: NetworkInterfaceObject[] = [];
  for (let i = 0; i < opts.nats; i++) {
    const key = { kind: 'NetworkInterface', metadata: { namespace, name: names.natNic(i) } };
    nics.push(await ready(world.watches.nics, key, hasPort));
  }
  print(`NAT: ${String(opts.nats)} NICs Ready`);
  const rowOf = (i: number, mac: string): NatRow => ({
    externalIp: natAddressOf(i),
    logicalIp: nics[i]?.status?.ipAddress ?? '',
    logicalPort: nics[i]?.status?.portName ?? '',
    externalMac: mac,
  });
  const baseRows = nics.map((_, i) => rowOf(i, macOf(`bench-nat-${String(i)}`)));
  const oneRunMs = await baseline(world, router, baseRows, false);
  print(`NAT: ovn-nbctl, one run: ${String(oneRunMs)} ms`);
  const perObjectMs = await baseline(world, router, baseRows, true);
  print(`NAT: ovn-nbctl, one run per row: ${String(perObjectMs)} ms`);

  await settle(world.layout);
  const eips = nics.map((_, i) =>
    eipObject(namespace, names.natEip(i), natAddressOf(i), names.natNic(i)),
  );
  const inNb = nb.when(
    (v) => natsProgrammed(v, router, baseRows) === baseRows.length,
    timeoutMs,
    `${String(opts.nats)} EIPs' NAT rows in NB`,
  );
  const before = await world.work();
  const t0 = clock.now();
  await createAll(world, eips, opts.concurrency);
  const createdMs = clock.now() - t0;
  const readyAt = await allReady(
    world,
    world.watches.eips,
    eips.map((o) => objectKey(o)),
    `${String(opts.nats)} EIPs Ready`,
  );
  const nbAt = await inNb;
  const work = workBetween(before, await world.work());
  const bound = eips.filter(
    (e) =>
      world.watches.eips.informer.cache.get(objectKey(e))?.status?.boundTo ===
      `NetworkInterface/${e.spec.binding?.networkInterfaceRef?.name ?? ''}`,
  ).length;
  if (bound !== eips.length) {
    throw new Error(`${String(eips.length - bound)} EIPs Ready but not bound to their NIC`);
  }
  const kcloud = { createdMs, readyMs: readyAt - t0, nbMs: nbAt - t0 };
  print(
    `NAT: kcloud all Ready after ${String(kcloud.readyMs)} ms, in NB after ${String(kcloud.nbMs)} ms`,
  );
  return { count: opts.nats, baseline: { oneRunMs, perObjectMs }, kcloud, work };
}
