#!/usr/bin/env node
// The network edge benchmark (`make bench`): EIP re-bind → first packet on OVN's data plane,
// LoadBalancers programmed, and EIPs' NAT rows written, each against the same rows written by
// ovn-nbctl in the same run, on a control plane and an OVN of its own. Writes its section of
// docs/benchmarks.md.
//
// usage: node bench/edge/main.ts [--lbs=100] [--members=10] [--nats=200] [--binds=200]
//          [--block=50] [--creates=16] [--out=docs/benchmarks.md] [--keep]
import os from 'node:os';
import path from 'node:path';
import { realClock } from '../../controllers/clock/index.ts';
import { ApiClient, loadKubeConfig } from '../../controllers/kube/index.ts';
import { createLogger } from '../../controllers/logging/logger.ts';
import { repoRoot, serverVersion } from '../../hack/cluster/index.ts';
import { productKinds } from '../../operators/kinds.ts';
import { ovnVersions, tail } from '../lib/ovn-info.ts';
import { createNamespace, installCrds } from '../lib/cluster-objects.ts';
import { withControlPlane } from '../lib/control-plane.ts';
import { DaemonProcess } from '../lib/daemon-process.ts';
import { machineLine } from '../lib/machine.ts';
import { publishSection, runBench } from '../lib/run.ts';
import { until } from '../lib/until.ts';
import { isReadyFor, type Conditioned } from '../vpc/kube-watch.ts';
import { managerWork, parseMetrics } from '../vpc/metrics.ts';
import { withOvn } from '../vpc/ovn-run.ts';
import { measureLbs } from './lbs.ts';
import { measureNats } from './nats.ts';
import { NbEdgeWatch } from './nb-edge.ts';
import { parseOptions } from './options.ts';
import { measureRebind } from './rebind.ts';
import { renderSection, sectionHeading, type EdgeResults } from './report.ts';
import { poolObject } from './topology.ts';
import { EdgeClients, makeWatches, type EdgeWorld } from './world.ts';

const namespace = 'bench-edge';
/** The chassis withOvn starts: the EIP gateway ports run there. */
const chassis = 'bench-chassis';

async function main(argv: string[]): Promise<void> {
  const opts = parseOptions(argv, repoRoot);
  // The re-bind phase makes network namespaces and plugs them into Open vSwitch.
  if (process.getuid?.() !== 0) {
    throw new Error(
      'bench/edge needs root: its data-plane phase creates network namespaces and veth pairs (run it as root, as `make bench` does on a bench machine)',
    );
  }
  const clock = realClock;
  const t0 = clock.now();
  const print = (line: string) => {
    console.log(`[${((clock.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  };
  const machine = machineLine();
  const log = createLogger('kcloud-bench-edge', 'warn');
  const ovn = await ovnVersions();
  const command = [
    'node bench/edge/main.ts',
    ...argv.filter((a) => !a.startsWith('--out') && a !== '--keep'),
  ].join(' ');

  const results = await withControlPlane(
    { name: 'edge', keep: opts.keep, log: print },
    async ({ layout: cp, info }): Promise<EdgeResults> => {
      const api = new ApiClient(loadKubeConfig(info.kubeconfig));
      try {
        await installCrds(api, clock, productKinds);
        await createNamespace(api, namespace);
        const kubernetes = (await serverVersion(cp)).gitVersion;
        return await withOvn(
          `${cp.runDir}-ovn`,
          { keep: opts.keep, log: print },
          async (layout, ovnInfo): Promise<EdgeResults> => {
            const nbEndpoint = ovnInfo.connection.nb.unix;
            const watches = makeWatches({ api, namespace, clock, log });
            const all = [watches.vpcs, watches.subnets, watches.nics, watches.lbs, watches.eips];
            const stopWatches = new AbortController();
            const running = all.map((w) => w.informer.run(stopWatches.signal));
            const logFile = path.join(cp.runDir, 'manager.log');
            let manager: DaemonProcess | undefined;
            let nb: NbEdgeWatch | undefined;
            const onSignal = () => {
              manager?.terminate();
            };
            process.prependListener('SIGINT', onSignal);
            process.prependListener('SIGTERM', onSignal);
            try {
              nb = await NbEdgeWatch.start(nbEndpoint, clock, log);
              for (const w of all) await w.informer.waitForSync();
              manager = await DaemonProcess.start({
                what: 'the manager',
                script: path.join(repoRoot, 'operators', 'manager', 'main.ts'),
                args: [
                  `--kubeconfig=${info.kubeconfig}`,
                  '--operators=vpc,eip,slb',
                  `--namespace=${namespace}`,
                  '--leader-elect=false',
                  `--ovn-nb=${nbEndpoint}`,
                  `--eip-gateway-chassis=${chassis}`,
                  '--identity=kcloud-bench-edge',
                  '--log-level=warn',
                ],
                logFile,
                clock,
                pollMs: 50,
              });
              const m = manager;
              const clients = new EdgeClients(api);
              const world: EdgeWorld = {
                namespace,
                clients,
                watches,
                nb,
                layout,
                clock,
                print,
                work: async () => managerWork(parseMetrics(await m.metrics())),
              };
              const eipPool = await clients.create(poolObject());
              // Cluster-scoped, so outside the bench's informers: read until Ready.
              await until(
                async () =>
                  isReadyFor(
                    await clients
                      .of<Conditioned>(eipPool)
                      .get(undefined, eipPool.metadata.name ?? ''),
                  ),
                { clock, timeoutMs: 60_000, what: 'the EIPPool Ready', intervalMs: 100 },
              );

              print(
                `1/3 re-bind → first packet: ${String(opts.binds)} re-binds by each writer, blocks of ${String(opts.block)}`,
              );
              const rebind = await measureRebind(world, { binds: opts.binds, block: opts.block });
              print(`2/3 LoadBalancers: ${String(opts.lbs)} × ${String(opts.members)} members`);
              const lbs = await measureLbs(world, {
                lbs: opts.lbs,
                members: opts.members,
                concurrency: opts.creates,
              });
              print(`3/3 NAT rows: ${String(opts.nats)} EIPs bound to NICs`);
              const nats = await measureNats(world, {
                nats: opts.nats,
                concurrency: opts.creates,
              });
              if (!manager.running()) throw new Error(`the manager exited; see ${logFile}`);
              return {
                run: {
                  date: new Date(clock.now()).toISOString().slice(0, 10),
                  machine,
                  node: process.version,
                  kubernetes,
                  ovn,
                  command,
                  creates: opts.creates,
                  durationMs: 0,
                  loadAtEnd: 0,
                },
                rebind,
                lbs,
                nats,
              };
            } catch (err) {
              if (manager) print(`last lines of ${logFile}:\n${await tail(logFile)}`);
              throw err;
            } finally {
              process.off('SIGINT', onSignal);
              process.off('SIGTERM', onSignal);
              await manager?.stop();
              await nb?.close();
              stopWatches.abort(new Error('benchmark over'));
              await Promise.allSettled(running);
            }
          },
        );
      } finally {
        await api.close();
      }
    },
  );
  results.run.durationMs = clock.now() - t0;
  results.run.loadAtEnd = os.loadavg()[1] ?? 0;
  await publishSection(opts.out, sectionHeading, renderSection(results), print);
}

runBench(main);
