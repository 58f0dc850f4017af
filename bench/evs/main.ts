#!/usr/bin/env node
// The EVS benchmark (`make bench`): volumes cloned from one image, side by side in one run with
// a plain loop of the tool the storage backend runs — `qemu-img create -b` on a File Local pool,
// `rbd clone` on an RBD pool of a real Ceph — on the same pools. Writes its section of
// docs/benchmarks.md.
//
// usage: node bench/evs/main.ts [--volumes=1000] [--concurrency=4] [--applies=16]
//          [--pools=file,rbd] [--out=docs/benchmarks.md] [--keep]
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { realClock } from '../../controllers/clock/index.ts';
import { ApiClient, loadKubeConfig } from '../../controllers/kube/index.ts';
import { createLogger } from '../../controllers/logging/logger.ts';
import { serverVersion } from '../../hack/cluster/index.ts';
import { baseSnapshot } from '../../operators/evs/backend/rbd/rbd-objects.ts';
import { withControlPlane } from '../lib/control-plane.ts';
import { machineLine } from '../lib/machine.ts';
import { formatCount } from '../lib/progress.ts';
import { publishSection, runBench } from '../lib/run.ts';
import { cpuByName } from '../vpc/cpu.ts';
import { growth, parseMetrics } from '../vpc/metrics.ts';
import { cloneLoop, qemuImgClone, rbdClone } from './baseline.ts';
import { childrenCpu } from './busy.ts';
import { withCeph } from './ceph-run.ts';
import { parseOptions } from './options.ts';
import { renderSection, sectionHeading, type PoolResult } from './report.ts';
import { measureVolumes, type Probes } from './volumes.ts';
import { startEvsWorld } from './world.ts';

const exec = promisify(execFile);
const GiB = 2 ** 30;

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
  const log = createLogger('kcloud-bench', 'warn');
  const sizeBytes = GiB;

  const { pools, kubernetes } = await withControlPlane(
    { name: 'evs', keep: opts.keep, log: print },
    ({ layout, info }) =>
      withCeph({ keep: opts.keep, log: print }, async (ceph) => {
        const api = new ApiClient(loadKubeConfig(info.kubeconfig));
        try {
          const world = await startEvsWorld({
            api,
            layout,
            kubeconfigPath: info.kubeconfig,
            ceph,
            workDir: path.join(layout.runDir, 'evs'),
            sizeBytes,
            clock,
            print,
          });
          try {
            const pids = new Map<string, number>([
              ...info.processes.map((p) => [p.name, p.pid] as const),
              ...ceph.info.processes.map((p) => [p.name, p.pid] as const),
              ['kcloud-agent', world.agent.child.pid ?? -1],
              ['bench and manager', process.pid],
            ]);
            const probes: Probes = {
              apiserver: async () => {
                const lines: string[] = [];
                for await (const l of api.lines({ method: 'GET', path: '/metrics' })) lines.push(l);
                return parseMetrics(lines);
              },
              controllers: async () => [
                ...parseMetrics(await world.manager.registry.metrics()),
                ...parseMetrics(await world.agent.metrics()),
              ],
              cpu: () => {
                const cpu = cpuByName(pids);
                // The tools each one ran (qemu-img, rbd), which their own time leaves out.
                for (const [name, pid] of [
                  ['kcloud-agent’s qemu-img/rbd', world.agent.child.pid ?? -1],
                  ['bench’s qemu-img/rbd', process.pid],
                ] as const) {
                  const s = childrenCpu(pid);
                  if (s !== undefined) cpu.set(name, s);
                }
                return cpu;
              },
            };
            const results: PoolResult[] = [];
            for (const kind of opts.pools) {
              const pool = world.pools[kind];
              const loopOpts = {
                count: opts.volumes,
                concurrency: opts.concurrency,
                clock,
                print,
              };
              print(`${kind}: baseline, ${formatCount(opts.volumes)} clones of one image`);
              const cpuBefore = probes.cpu();
              const loop =
                kind === 'file'
                  ? await cloneLoop(
                      'file: qemu-img create -b',
                      loopOpts,
                      qemuImgClone(world.filePoolDir, `img-${pool.imageUid}.qcow2`, sizeBytes),
                    )
                  : await cloneLoop(
                      'rbd: rbd clone',
                      loopOpts,
                      rbdClone(ceph.user, ceph.pool, `img-${pool.imageUid}`, baseSnapshot),
                    );
              const baseline = { ...loop, cpuSeconds: growth(probes.cpu(), cpuBefore) };
              if (kind === 'file') {
                // Not the pool's objects: gone before kcloud's turn, so its directory is as before.
                await Promise.all(
                  Array.from({ length: opts.volumes }, (_, i) =>
                    rm(path.join(world.filePoolDir, `baseline-${String(i)}.qcow2`)),
                  ),
                );
              }
              print(`${kind}: kcloud, ${formatCount(opts.volumes)} Volumes from the image`);
              const kcloud = await measureVolumes({
                api,
                pool,
                count: opts.volumes,
                inFlight: opts.applies,
                size: '1Gi',
                probes,
                clock,
                log,
                print,
              });
              results.push({ kind, baseline, kcloud });
            }
            return { pools: results, kubernetes: (await serverVersion(layout)).gitVersion };
          } finally {
            await world.stop();
          }
        } finally {
          await api.close();
        }
      }),
  );
  await publishSection(
    opts.out,
    sectionHeading,
    renderSection({
      run: {
        date: new Date(clock.now()).toISOString().slice(0, 10),
        machine,
        node: process.version,
        kubernetes,
        qemuImg: await firstLine('qemu-img', ['--version']),
        ceph: await firstLine('ceph', ['--version']),
        volumes: opts.volumes,
        concurrency: opts.concurrency,
        applies: opts.applies,
        sizeBytes,
        cores: os.cpus().length,
        durationMs: clock.now() - t0,
      },
      pools,
    }),
    print,
  );
}

runBench(main);
