// EIP re-bind → first packet, on OVN's data plane. Two guests (network namespaces on br-int, as
// NetworkInterfaces) each answer TCP with their name; an "internet" namespace behind the pool's
// provider bridge connects to the EIP every few milliseconds. One EIP is re-bound alternately
// between the guests, by its spec (kcloud) and by ovn-nbctl (the NAT row deleted, then added
// for the other port), in alternating blocks; each re-bind is timed from the write to
// the first answer by the newly bound guest.
import { objectKey } from '../../controllers/kube/index.ts';
import type { EIPObject } from '../../operators/eip/api/index.ts';
import type { NetworkInterfaceObject } from '../../operators/vpc/api/index.ts';
import { until } from '../lib/until.ts';
import { isReadyFor } from '../vpc/kube-watch.ts';
import { hasPort } from '../vpc/port-up.ts';
import { untilListening } from './listening.ts';
import { natAddCommand, natDeleteCommand, rebindRuns, type NatRow } from './nbctl-args.ts';
import { natsFor } from './nb-edge.ts';
import {
  addProviderNetwork,
  answerScript,
  firstAnswer,
  missesBetween,
  Prober,
  proberScript,
  startGuest,
  type Guest,
} from '../../hack/ovn/index.ts';
import { dpNetwork, eipObject, names, pool, probePort } from './topology.ts';
import { createAll, nbctlMust, ready, timeoutMs, type EdgeWorld } from './world.ts';

export const probe = { everyMs: 5, timeoutMs: 800 } as const;
/** How long one re-bind may take before the run stops with an error. */
const bindTimeoutMs = 60_000;

export type Writer = 'kcloud' | 'nbctl';

export interface BindSample {
  writer: Writer;
  /** From the write sent to the first answer by the newly bound guest. */
  answerMs: number;
  /** kcloud: to the NAT row for the new port in NB; nbctl: to the second ovn-nbctl's exit. */
  writtenMs: number;
  /** kcloud: to the EIP seen Ready for the new generation. */
  readyMs?: number;
  /** Attempts started between the write and the answering one that nobody answered. */
  misses: number;
}

/** When a re-bind's write was sent and its answering attempt started (epoch ms). */
interface Span {
  t0: number;
  answered: number;
}

export interface RebindResult {
  samples: BindSample[];
  block: number;
}

/** Which writer does bind `k`: alternating blocks, kcloud first. */
export function writerOf(k: number, block: number): Writer {
  return Math.floor(k / block) % 2 === 0 ? 'kcloud' : 'nbctl';
}

export async function measureRebind(
  world: EdgeWorld,
  /** `binds` by each writer, in blocks of `block`. */
  opts: { binds: number; block: number },
): Promise<RebindResult> {
  const { clock, namespace, nb, layout, clients, print } = world;
  const [vpc, ...rest] = dpNetwork(namespace);
  if (!vpc) throw new Error('no VPC');
  await clients.create(vpc);
  await createAll(world, rest, 4);
  const router =
    (await ready(world.watches.vpcs, vpc, (v) => !!v.status?.routerName)).status?.routerName ?? '';
  const nicOf = (name: string) =>
    ready(world.watches.nics, { kind: 'NetworkInterface', metadata: { namespace, name } }, hasPort);
  const nics = new Map<string, NetworkInterfaceObject>();
  for (const n of [...names.guests, names.keeper]) nics.set(n, await nicOf(n));

  const guests: Guest[] = [];
  try {
    await addProviderNetwork(layout, { physnet: pool.providerNetwork });
    const internet = await startGuest(layout, {
      name: names.internet,
      ifaceId: names.internet,
      mac: '0a:00:00:00:0e:01',
      address: `${pool.gatewayIP}/${String(pool.prefix)}`,
      bridge: 'br-ex',
    });
    guests.push(internet);
    for (const name of names.guests) {
      const s = nics.get(name)?.status ?? {};
      const g = await startGuest(layout, {
        name,
        ifaceId: s.portName ?? '',
        mac: s.macAddress ?? '',
        address: `${s.ipAddress ?? ''}/${String(s.prefixLength ?? 0)}`,
        gateway: s.gatewayIP ?? '',
      });
      guests.push(g);
      await untilListening(
        g.spawn([process.execPath, '-e', answerScript, String(probePort), name]),
        `the answering server in ${name}`,
      );
      await until(() => nb.portUp(s.portName ?? ''), {
        clock,
        timeoutMs,
        what: `the port of ${name} up`,
      });
    }

    // The keeper holds the VPC's gateway port while the measured EIP is unbound.
    await clients.create(eipObject(namespace, names.keeper, pool.keeperAddress, names.keeper));
    const eip = eipObject(namespace, names.rebindEip, pool.rebindAddress, names.guests[0]);
    await clients.create(eip);
    for (const e of [names.keeper, names.rebindEip]) {
      await ready(world.watches.eips, { kind: 'EIP', metadata: { namespace, name: e } });
    }
    const address = pool.rebindAddress;
    await nb.when((v) => natsFor(v, router, address).length === 1, timeoutMs, 'the NAT row');
    const [kcloudRow] = natsFor(nb.view(), router, address);
    if (!kcloudRow?.external_mac) throw new Error(`no NAT row with a MAC for ${address}`);
    // The baseline writes the very row the operator writes: same address, MAC, port.
    const rowTo = (name: string): NatRow => ({
      externalIp: address,
      logicalIp: nics.get(name)?.status?.ipAddress ?? '',
      logicalPort: nics.get(name)?.status?.portName ?? '',
      externalMac: kcloudRow.external_mac ?? '',
    });
    const portOf = (name: string) => nics.get(name)?.status?.portName ?? '';

    const prober = new Prober(
      internet.spawn([
        process.execPath,
        '-e',
        proberScript,
        address,
        String(probePort),
        String(probe.everyMs),
        String(probe.timeoutMs),
      ]),
    );
    await prober.waitReady();

    /** Probing on, until `who` answers an attempt started from now on. */
    const answeredBy = async (who: string) => {
      const from = clock.now();
      prober.start();
      await prober.until((a) => firstAnswer(a, from, who), bindTimeoutMs, `${who} to answer`);
    };

    const key = objectKey(eip);
    let current: string = names.guests[0];
    let bound: Writer = 'kcloud';
    await answeredBy(current);
    prober.stop();

    const switchTo = async (writer: Writer) => {
      if (writer === bound) return;
      if (writer === 'nbctl') {
        const o = await clients.patchSpec(eip, { binding: null });
        await world.watches.eips.wait(
          key,
          (e: EIPObject) => isReadyFor(e) && e.metadata.generation === o.metadata.generation,
          timeoutMs,
          'the EIP unbound',
        );
        await nb.when((v) => natsFor(v, router, address).length === 0, timeoutMs, 'no NAT row');
        await nbctlMust(layout, natAddCommand(router, rowTo(current)), 'lr-nat-add');
      } else {
        await nbctlMust(layout, natDeleteCommand(router, address), 'lr-nat-del');
        const o = await clients.patchSpec(eip, {
          binding: { networkInterfaceRef: { name: current } },
        });
        await world.watches.eips.wait(
          key,
          (e: EIPObject) => isReadyFor(e) && e.metadata.generation === o.metadata.generation,
          timeoutMs,
          'the EIP bound again',
        );
      }
      bound = writer;
    };

    const samples: BindSample[] = [];
    const spans: Span[] = [];
    const total = 2 * opts.binds;
    for (let k = 0; k < total; k++) {
      const writer = writerOf(k, opts.block);
      await switchTo(writer);
      const to = current === names.guests[0] ? names.guests[1] : names.guests[0];
      prober.clear();
      // The path to the current guest works before the write: the bind starts from a working EIP.
      await answeredBy(current);
      const t0 = clock.now();
      let sample: BindSample;
      if (writer === 'kcloud') {
        const inNb = nb.when(
          (v) => natsFor(v, router, address).some((n) => n.logical_port === portOf(to)),
          bindTimeoutMs,
          `the NAT row for ${to}`,
        );
        const o = await clients.patchSpec(eip, { binding: { networkInterfaceRef: { name: to } } });
        const readyP = world.watches.eips.wait(
          key,
          (e: EIPObject) => isReadyFor(e) && e.metadata.generation === o.metadata.generation,
          bindTimeoutMs,
          `the EIP Ready bound to ${to}`,
        );
        const answer = await prober.until(
          (a) => firstAnswer(a, t0, to),
          bindTimeoutMs,
          `${to} to answer at the EIP`,
        );
        const nbAt = await inNb;
        await readyP;
        const readyAt = world.watches.eips.readyTime(key, o.metadata.generation ?? 0) ?? NaN;
        sample = {
          writer,
          answerMs: answer.r - t0,
          writtenMs: nbAt - t0,
          readyMs: readyAt - t0,
          misses: 0,
        };
        spans.push({ t0, answered: answer.t });
      } else {
        for (const args of rebindRuns(router, rowTo(to))) {
          await nbctlMust(layout, args, 'the re-bind');
        }
        const writtenAt = clock.now();
        const answer = await prober.until(
          (a) => firstAnswer(a, t0, to),
          bindTimeoutMs,
          `${to} to answer at the address`,
        );
        sample = {
          writer,
          answerMs: answer.r - t0,
          writtenMs: writtenAt - t0,
          misses: 0,
        };
        spans.push({ t0, answered: answer.t });
      }
      prober.stop();
      samples.push(sample);
      current = to;
      if ((k + 1) % 20 === 0 || k + 1 === total) {
        print(
          `re-bind ${String(k + 1)}/${String(total)} (${writer}): ${String(sample.answerMs)} ms`,
        );
      }
    }
    // Leave the EIP bound by kcloud, so its rows go with it at the end.
    await switchTo('kcloud');
    // A miss is printed only at its deadline: by now every attempt of the last re-bind has one.
    await clock.sleep(probe.timeoutMs + 200);
    const attempts = prober.all();
    samples.forEach((s, i) => {
      const span = spans[i];
      if (span) s.misses = missesBetween(attempts, span.t0, span.answered);
    });
    return { samples, block: opts.block };
  } finally {
    for (const g of guests.reverse()) await g.close().catch(() => undefined);
  }
}
