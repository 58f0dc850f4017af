#!/usr/bin/env node
// The ECS benchmark (`make bench`): apply → the guest answers ping, for Instances kcloud boots
// with QEMU on a real agent and a real OVN data plane, side by side in one run with the same
// guest launched by a bare `qemu-system-x86_64` command line and pinged the same way; waves of
// each side alternate. Writes its section of docs/benchmarks.md.
//
// usage: node bench/ecs/main.ts [--instances=10] [--wave=2] [--out=docs/benchmarks.md] [--keep]
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { realClock } from '../../controllers/clock/index.ts';
import { ApiClient, loadKubeConfig } from '../../controllers/kube/index.ts';
import { createLogger } from '../../controllers/logging/logger.ts';
import { serverVersion } from '../../hack/cluster/index.ts';
import { withControlPlane } from '../lib/control-plane.ts';
import { machineLine } from '../lib/machine.ts';
import { publishSection, runBench } from '../lib/run.ts';
import { withOvn } from '../vpc/ovn-run.ts';
import { killVms, killVmsNow, leftovers } from './leftovers.ts';
import { Milestones } from './milestones.ts';
import { addNetworkSteps, readOvnEvents } from './ovn-events.ts';
import { SideLoad } from './side-load.ts';
import { parseOptions } from './options.ts';
import { renderSection, sectionHeading } from './report.ts';
import { runWaves } from './waves.ts';
import { namespace, startEcsWorld } from './world.ts';

const exec = promisify(execFile);
/** Long enough for a TCG boot on a busy machine; only there to end a run that hangs. */
const bootTimeoutMs = 300_000;

async function firstLine(cmd: string, args: string[]): Promise<string> {
  try {
    return (await exec(cmd, args)).stdout.split('\n')[0]?.trim() ?? cmd;
  } catch {
    return `${cmd} (version unknown)`;
  }
}

async function main(argv: string[]): Promise<void> {
  const opts = parseOptions(argv);
  const machine = machineLine();
  const clock = realClock;
  const t0 = clock.now();
  const print = (line: string) => {
    console.log(`[${((clock.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  };
  const log = createLogger('kcloud-bench-ecs', 'warn');
  // Short: the VMs' unix sockets live under it, and a socket path has at most 107 bytes.
  const work = await mkdtemp(path.join(os.tmpdir(), 'kb-ecs-'));
  const bareDir = path.join(work, 'bare');
  // Also when a signal ends the run: the control plane's handler exits the process.
  const removeWork = () => {
    if (!opts.keep) rmSync(work, { recursive: true, force: true });
  };
  process.on('exit', removeWork);

  const measured = await withControlPlane(
    { name: 'ecs', keep: opts.keep, log: print },
    async ({ layout: cp, info }) => {
      const api = new ApiClient(loadKubeConfig(info.kubeconfig));
      try {
        const kubernetes = (await serverVersion(cp)).gitVersion;
        return await withOvn(
          `${cp.runDir}-ovn`,
          { keep: opts.keep, log: print },
          async (ovn, ovnInfo) => {
            const world = await startEcsWorld({
              api,
              layout: cp,
              kubeconfigPath: info.kubeconfig,
              ovn,
              nbEndpoint: ovnInfo.connection.nb.unix,
              workDir: work,
              bareCount: opts.instances,
              clock,
              print,
            });
            // The agent's VMs outlive it by design: on a signal they go before the data plane.
            const onSignal = () => {
              killVmsNow(world.ecsStateDir);
            };
            process.prependListener('SIGINT', onSignal);
            process.prependListener('SIGTERM', onSignal);
            // Before the work folder goes: the pid files are in it.
            process.prependListener('exit', onSignal);
            const stopWatches = new AbortController();
            try {
              const milestones = new Milestones({ api, namespace, clock, log });
              await milestones.start(stopWatches.signal);
              const kcloudEnv = {
                api,
                milestones,
                probe: world.probe,
                clock,
                timeoutMs: bootTimeoutMs,
                keepNeighbour: opts.keepNeighbours,
              };
              let bareCommand: string[] = [];
              const bareEnv = {
                dir: bareDir,
                imageFile: world.imageFile,
                accel: world.accel,
                netns: world.vmNetns,
                ovsDb: `unix:${ovn.vswitch.socket}`,
                probe: world.probe,
                clock,
                timeoutMs: bootTimeoutMs,
                keepNeighbour: opts.keepNeighbours,
                onCommand: (argv: string[]) => {
                  bareCommand = argv.map((a) => a.replaceAll(bareDir, '$RUN'));
                },
              };
              // Everything but the VMs: what else wanted the cores while the guests booted.
              const pids = () =>
                new Map<string, number>([
                  ...[...info.processes, ...ovnInfo.processes].map((p) => [p.name, p.pid] as const),
                  ['kcloud-manager', world.manager.child.pid ?? -1],
                  ['kcloud-agent', world.agent.child.pid ?? -1],
                  ['bench', process.pid],
                ]);
              const load = { kcloud: new SideLoad(pids), bare: new SideLoad(pids) };
              const results = await runWaves({
                instances: opts.instances,
                wave: opts.wave,
                kcloud: kcloudEnv,
                bare: bareEnv,
                bareNic: (i) => world.bareNic(i),
                load,
                print,
              });
              addNetworkSteps(
                results.flatMap((w) => [...w.kcloud, ...w.bare]),
                await readOvnEvents(path.join(ovn.logDir, 'ovn-controller.log')),
              );
              const left = await leftovers({
                ovn,
                stateDirs: [world.ecsStateDir, bareDir],
                seedsDir: path.join(world.ecsStateDir, 'seeds'),
              });
              if (left.length > 0) throw new Error(`the run left: ${left.join('; ')}`);
              return {
                kubernetes,
                kernelVersion: world.kernelVersion,
                accel: world.accel,
                waves: results,
                load: { kcloud: load.kcloud.figures(), bare: load.bare.figures() },
                bareCommand,
              };
            } finally {
              stopWatches.abort(new Error('benchmark over'));
              const killed = await killVms(world.ecsStateDir);
              if (killed.length > 0) print(`killed ${String(killed.length)} VMs a failed run left`);
              await world.stop();
              process.off('SIGINT', onSignal);
              process.off('SIGTERM', onSignal);
              process.off('exit', onSignal);
            }
          },
        );
      } finally {
        await api.close();
      }
    },
  );
  removeWork();
  process.off('exit', removeWork);
  await publishSection(
    opts.out,
    sectionHeading,
    renderSection({
      run: {
        date: new Date(clock.now()).toISOString().slice(0, 10),
        machine,
        node: process.version,
        kubernetes: measured.kubernetes,
        qemu: await firstLine('qemu-system-x86_64', ['--version']),
        kernelVersion: measured.kernelVersion,
        accel: measured.accel,
        cores: os.cpus().length,
        instances: opts.instances,
        wave: opts.wave,
        keepNeighbours: opts.keepNeighbours,
        durationMs: clock.now() - t0,
      },
      waves: measured.waves,
      load: measured.load,
      bareCommand: measured.bareCommand,
    }),
    print,
  );
}

runBench(main);
