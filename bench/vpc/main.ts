#!/usr/bin/env node
// The VPC benchmark (`make bench`, after the runtime one): bulk NB writes by the OVSDB client
// and by ovn-nbctl, then, with the vpc operator running, a VPC's worth of CRs to Ready and into
// NB, NIC create → port up with guests on br-int, and SecurityGroup changes → enforced between
// two guests; all in one run against a control plane and an OVN of its own. Writes its section
// of docs/benchmarks.md.
//
// usage: node bench/vpc/main.ts [--subnets=50] [--nics=5000] [--security-groups=10]
//          [--rules=200] [--creates=16] [--sample=30] [--sg-rounds=10] [--nb-ports=5000]
//          [--nb-rounds=3] [--groups=200] [--group-references=3] [--only=groups|scale]
//          [--status-batch-period=1s] [--no-create-finalizer] [--nic-rate=100]
//          [--out=docs/benchmarks.md] [--keep]
// --only=groups runs only the many-groups phase (after a VPC) and prints its rows; --only=scale
// only the scale phase, and prints its times and the operator's API writes per NIC; with
// --nic-rate the NICs are sent at that steady rate (a sustained load) instead of all at once.
import os from 'node:os';
import path from 'node:path';
import { realClock } from '../../controllers/clock/index.ts';
import { ApiClient, loadKubeConfig } from '../../controllers/kube/index.ts';
import { createLogger } from '../../controllers/logging/logger.ts';
import { repoRoot, serverVersion } from '../../hack/cluster/index.ts';
import { applyFinalizerPolicy } from '../../hack/demo/finalizer-policies.ts';
import { vpcCreateFinalizer } from '../../operators/vpc/index.ts';
import {
  NetworkInterface,
  SecurityGroup,
  Subnet,
  VPC,
  type NetworkInterfaceObject,
  type SecurityGroupObject,
  type SubnetObject,
  type VPCObject,
} from '../../operators/vpc/api/index.ts';
import { ovnVersions, tail } from '../lib/ovn-info.ts';
import { percentile } from '../lib/stats.ts';
import { withControlPlane } from '../lib/control-plane.ts';
import { publishSection, runBench } from '../lib/run.ts';
import { PeakRss } from '../lib/memory.ts';
import { formatCount } from '../lib/progress.ts';
import { cpuByName } from './cpu.ts';
import { isReadyFor, KindWatch } from './kube-watch.ts';
import { startManagerProcess, type ManagerProcess } from './manager-process.ts';
import {
  apiWrites,
  managerWork,
  operatorWrites,
  parseMetrics,
  perObjectCell,
  queueDepth,
} from './metrics.ts';
import { measureBulkWrites } from './nb-writes.ts';
import { readNorthdRuns, resetNorthdRuns } from './northd.ts';
import { NbWatch } from './nb-watch.ts';
import { createNamespace } from '../lib/cluster-objects.ts';
import { installVpcCrds, resourceOf, VpcClients } from './objects.ts';
import { parseOptions } from './options.ts';
import { withOvn } from './ovn-run.ts';
import { measurePortUp } from './port-up.ts';
import { measureGroups } from './groups.ts';
import {
  cpuCell,
  groupsRows,
  northdCell,
  reconcilesCell,
  renderSection,
  sectionHeading,
  writesCell,
  type VpcBenchResults,
} from './report.ts';
import { markdownTable } from '../lib/markdown.ts';
import { measureScale, type Watches, type WorkSnapshot } from './scale.ts';
import { measureSgEnforcement } from './sg-enforce.ts';
import { names, probeCidr, subnetObject, vpcObject } from './topology.ts';

const namespace = 'bench-vpc';

function machine(): string {
  const cpus = os.cpus();
  const gib = Math.round(os.totalmem() / 2 ** 30);
  // Other work on the machine slows everything; the load before the run shows if there was any.
  const load = os.loadavg()[0] ?? 0;
  return `${cpus.length} cores (${cpus[0]?.model ?? 'unknown CPU'}), ${gib} GiB, Linux ${os.release()}, load average ${load.toFixed(2)} before the run`;
}

async function main(argv: string[]): Promise<void> {
  const opts = parseOptions(argv, repoRoot);
  const host = machine();
  const clock = realClock;
  const t0 = clock.now();
  const print = (line: string) => {
    console.log(`[${((clock.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  };
  const log = createLogger('kcloud-bench-vpc', 'warn');
  const ovn = await ovnVersions();
  const command = [
    'node bench/vpc/main.ts',
    ...argv.filter((a) => !a.startsWith('--out') && a !== '--keep'),
  ].join(' ');

  const results = await withControlPlane(
    { name: 'vpc', keep: opts.keep, log: print },
    async ({ layout: cp, info }): Promise<VpcBenchResults | undefined> => {
      const kubeconfig = loadKubeConfig(info.kubeconfig);
      const api = new ApiClient(kubeconfig);
      try {
        await installVpcCrds(api, clock);
        await createNamespace(api, namespace);
        if (opts.createFinalizer) {
          // As the chart and make demo install it: the operator's finalizer is on at create.
          await applyFinalizerPolicy(info.kubeconfig, vpcCreateFinalizer, {
            name: 'kcloud-vpc',
            namespaces: [namespace],
          });
        }
        const kubernetes = (await serverVersion(cp)).gitVersion;
        return await withOvn(
          `${cp.runDir}-ovn`,
          { keep: opts.keep, log: print },
          async (layout, ovnInfo): Promise<VpcBenchResults | undefined> => {
            const nbEndpoint = ovnInfo.connection.nb.unix;
            const measureBulk = () =>
              measureBulkWrites({
                layout,
                endpoint: nbEndpoint,
                ports: opts.nbPorts,
                rounds: opts.nbRounds,
                clock,
                log,
                print,
              });
            if (opts.only === undefined) {
              print(
                `1/5 NB writes: a switch and ${formatCount(opts.nbPorts)} ports, OvsdbClient and ovn-nbctl, ${opts.nbRounds} rounds`,
              );
            }
            const bulk = opts.only === undefined ? await measureBulk() : undefined;

            const watch = <
              T extends VPCObject | SubnetObject | SecurityGroupObject | NetworkInterfaceObject,
            >(
              kind: typeof VPC | typeof Subnet | typeof SecurityGroup | typeof NetworkInterface,
            ) => new KindWatch<T>({ api, resource: resourceOf(kind), namespace, clock, log });
            const watches: Watches = {
              vpcs: watch<VPCObject>(VPC),
              subnets: watch<SubnetObject>(Subnet),
              groups: watch<SecurityGroupObject>(SecurityGroup),
              nics: watch<NetworkInterfaceObject>(NetworkInterface),
            };
            const all = [watches.vpcs, watches.subnets, watches.groups, watches.nics];
            const stopWatches = new AbortController();
            const running = all.map((w) => w.informer.run(stopWatches.signal));
            let nb: NbWatch | undefined;
            const logFile = path.join(cp.runDir, 'manager.log');
            let manager: ManagerProcess | undefined;
            // Stopped at once on a signal, rather than at exit by its parent-death signal, so
            // it does not hold requests open while the API server shuts down.
            const onSignal = () => {
              manager?.terminate();
            };
            process.prependListener('SIGINT', onSignal);
            process.prependListener('SIGTERM', onSignal);
            try {
              nb = await NbWatch.start(nbEndpoint, clock, log);
              for (const w of all) await w.informer.waitForSync();
              manager = await startManagerProcess({
                kubeconfigPath: info.kubeconfig,
                namespace,
                nbEndpoint,
                logFile,
                clock,
                ...(opts.statusBatchPeriod ? { statusBatchPeriod: opts.statusBatchPeriod } : {}),
              });
              const m = manager;
              const peak = new PeakRss({ clock, intervalMs: 1000, read: () => m.rssBytes() });
              peak.start();
              const readyRssBytes = m.rssBytes();
              const clients = new VpcClients(api);
              const pids = new Map<string, number>([
                ['bench', process.pid],
                ['manager', m.child.pid ?? -1],
                ...[...info.processes, ...ovnInfo.processes].map((p) => [p.name, p.pid] as const),
              ]);
              const snapshot = async (): Promise<WorkSnapshot> => {
                const at = clock.now();
                const cpu = cpuByName(pids);
                const work = managerWork(parseMetrics(await m.metrics()));
                const lines: string[] = [];
                for await (const l of api.lines({ method: 'GET', path: '/metrics' })) lines.push(l);
                const writes = apiWrites(parseMetrics(lines), VPC.resource.group);
                return { at, cpu, ...work, apiWrites: writes };
              };
              const queued = async () => queueDepth(parseMetrics(await m.metrics()));
              const many = () =>
                measureGroups({
                  namespace,
                  sizes: { groups: opts.groups, references: opts.groupReferences },
                  concurrency: opts.creates,
                  clients,
                  groups: watches.groups,
                  clock,
                  print,
                  snapshot,
                  queued,
                });
              if (opts.only === 'groups') {
                await clients.create(vpcObject(namespace));
                await watches.vpcs.wait(
                  `${namespace}/${names.vpc}`,
                  isReadyFor,
                  60_000,
                  `VPC ${names.vpc} Ready`,
                );
                print(`many groups: ${formatCount(opts.groups)} SecurityGroups`);
                const groups = await many();
                console.log(`\n${markdownTable(['what', 'result'], groupsRows(groups))}\n`);
                print(`many groups: ${reconcilesCell(groups.work)}; ${writesCell(groups.work)}`);
                return undefined;
              }
              if (opts.only === undefined && !bulk) {
                throw new Error('the NB write phase did not run');
              }

              print(
                `2/5 scale: 1 VPC, ${opts.subnets} Subnets, ${opts.securityGroups} SecurityGroups (${opts.rules} rules), ${formatCount(opts.nics)} NICs`,
              );
              await resetNorthdRuns(layout);
              const scale = await measureScale({
                namespace,
                sizes: opts,
                concurrency: opts.creates,
                clients,
                watches,
                nb,
                clock,
                print,
                snapshot,
                queued,
                ...(opts.nicRate ? { nicRate: opts.nicRate } : {}),
              });
              print(
                `scale: all Ready after ${(scale.readyMs / 1000).toFixed(1)} s, NB programmed after ${(scale.nbMs / 1000).toFixed(1)} s`,
              );
              const afterScaleRssBytes = m.rssBytes();
              const scaleNorthd = await readNorthdRuns(layout);
              if (opts.only === 'scale') {
                print(`scale: manager idle after ${(scale.idleMs / 1000).toFixed(1)} s`);
                print(
                  `scale: NICs sent in ${(scale.createMs / 1000).toFixed(1)} s; NIC create sent → Ready p50 / p95 / p99 / max ${[50, 95, 99, 100].map((p) => `${(percentile(scale.nicReadyMs, p) / 1000).toFixed(2)} s`).join(' / ')}`,
                );
                print(`scale: API writes ${writesCell(scale.work)}`);
                print(
                  `scale: the operator's API writes per NIC: ${perObjectCell(operatorWrites(scale.work.apiWrites), opts.nics)}`,
                );
                print(`scale: reconciles ${reconcilesCell(scale.work)}`);
                print(`scale: CPU ${cpuCell(scale.work)}`);
                print(`scale: ovn-northd ${northdCell(scaleNorthd)}`);
                return undefined;
              }
              if (!bulk) throw new Error('the NB write phase did not run');

              await clients.create(subnetObject(namespace, names.probeSubnet, probeCidr));
              await watches.subnets.wait(
                `${namespace}/${names.probeSubnet}`,
                isReadyFor,
                60_000,
                `Subnet ${names.probeSubnet} Ready`,
              );
              print(`3/5 port up: ${opts.sample} NICs plugged each way`);
              await resetNorthdRuns(layout);
              const portUp = await measurePortUp({
                namespace,
                sample: opts.sample,
                layout,
                clients,
                nics: watches.nics,
                nb,
                clock,
                print,
              });

              const portUpNorthd = await readNorthdRuns(layout);
              print(`4/5 SecurityGroup enforcement: ${opts.sgRounds} rounds`);
              await resetNorthdRuns(layout);
              const sg = await measureSgEnforcement({
                namespace,
                rounds: opts.sgRounds,
                layout,
                clients,
                nics: watches.nics,
                groups: watches.groups,
                nb,
                clock,
                print,
              });
              const sgNorthd = await readNorthdRuns(layout);
              print(`5/5 many groups: ${formatCount(opts.groups)} SecurityGroups in one namespace`);
              const groups = await many();
              const endRssBytes = m.rssBytes();
              const peakRssBytes = peak.stop();
              if (!m.running()) throw new Error(`the manager exited; see ${logFile}`);
              return {
                run: {
                  date: new Date(clock.now()).toISOString().slice(0, 10),
                  machine: host,
                  node: process.version,
                  kubernetes,
                  ovn,
                  durationMs: 0,
                  loadAtEnd: 0,
                  command,
                },
                scale,
                manager: { readyRssBytes, afterScaleRssBytes, endRssBytes, peakRssBytes },
                portUp,
                sg,
                groups,
                bulk,
                northd: { scale: scaleNorthd, portUp: portUpNorthd, sg: sgNorthd },
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
  if (!results) return;
  results.run.durationMs = clock.now() - t0;
  results.run.loadAtEnd = os.loadavg()[1] ?? 0;
  await publishSection(opts.out, sectionHeading, renderSection(results), print);
}

runBench(main);
