// The baseline: the same guest launched by hand, as one would without kcloud. A qcow2 overlay on
// the very image file kcloud's boot volumes are clones of, a NoCloud seed, a tap in the same
// br-int bound to a NetworkInterface's port, and QEMU started by a plain command line: the
// one the agent runs (the same function writes it, so accelerator, memory, machine and virtio
// devices cannot drift apart), less `-S` (the agent starts paused to set the VNC password over
// QMP before the first instruction) and `-daemonize` (the agent's VMs outlive it; this one is
// the bench's child, killed with it). Pinged the same way, then killed by its PID; its tap and
// files are removed.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Clock } from '../../controllers/clock/index.ts';
import { inNetns } from '../../hack/ovn/guest.ts';
import type { Guest } from '../../hack/ovn/index.ts';
import { qemuArgs, runPaths, type VmDefinition } from '../../operators/ecs/backend/qemu/index.ts';
import { writeSeed } from '../../operators/ecs/backend/seed/index.ts';
import { tapName, Taps } from '../../operators/ecs/handler/taps.ts';
import { diskId, diskSerial, nicDefinition } from '../../operators/ecs/handler/vm-spec.ts';
import { firstReply } from './first-reply.ts';
import type { VmRun } from './ovn-events.ts';
import type { NicStatus } from './world.ts';

const exec = promisify(execFile);

export interface BareSample extends VmRun {
  name: string;
  /** Start of the overlay → first echo reply. */
  totalMs: number;
  /** Overlay, seed and tap made: what is done before QEMU starts. */
  preparedMs: number;
  /** QEMU started → first echo reply. */
  qemuToReplyMs: number;
}

export interface BareEnv {
  /** Run directories, overlays and seeds of the bare VMs go in here. */
  dir: string;
  /** The image every kcloud boot volume is a clone of. */
  imageFile: string;
  accel: 'kvm' | 'tcg';
  /** Where the taps are and QEMU runs: the data plane's network namespace. */
  netns: string;
  ovsDb: string;
  probe: Guest;
  clock: Clock;
  timeoutMs: number;
  keepNeighbour: boolean;
  /** Called with each command line, for the report. */
  onCommand?: (argv: string[]) => void;
}

/** The agent's arguments less those only the agent needs (see the top of this file). */
export function bareArgs(agentArgs: readonly string[]): string[] {
  return agentArgs.filter((a) => a !== '-S' && a !== '-daemonize');
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
}

/** Boots the guest by hand as `name` on `nic`, and resolves once it answered ping and is gone. */
export async function bootBare(env: BareEnv, name: string, nic: NicStatus): Promise<BareSample> {
  const uuid = randomUUID();
  const paths = runPaths(env.dir, uuid);
  const taps = new Taps({ netns: env.netns, ovsDb: env.ovsDb, bridge: 'br-int' });
  const tap = tapName(uuid, 'eth0');
  let child: ChildProcess | undefined;
  let stderr = '';
  try {
    const started = env.clock.now();
    await mkdir(paths.dir, { recursive: true });
    const disk = path.join(paths.dir, 'disk.qcow2');
    const seed = path.join(paths.dir, 'seed.img');
    await exec('qemu-img', [
      'create',
      '-q',
      '-f',
      'qcow2',
      '-F',
      'qcow2',
      '-b',
      env.imageFile,
      disk,
    ]);
    await writeSeed(seed, { instanceId: uuid, hostname: name, sshAuthorizedKeys: [] });
    // Made and moved into the data plane's namespace before QEMU, which runs there and opens
    // it by name (kcloud's agent moves it after its QEMU opened it: the same tap, either way).
    await taps.prepare(tap);
    await taps.plug({ tap, ifaceId: nic.portName, mac: nic.macAddress, vm: uuid });
    const def: VmDefinition = {
      uuid,
      name: `bench_${name}`,
      vcpus: 1,
      memoryMiB: 256,
      accel: env.accel,
      disks: [
        {
          id: diskId(name),
          source: { kind: 'file', path: disk, format: 'qcow2' },
          serial: diskSerial(name),
          bootIndex: 0,
        },
      ],
      nics: [nicDefinition(uuid, { name: 'eth0', portName: nic.portName, mac: nic.macAddress })],
      seed: { path: seed },
    };
    const argv = ['qemu-system-x86_64', ...bareArgs(qemuArgs(def, paths))];
    env.onCommand?.(argv);
    const prepared = env.clock.now();
    const [file, args] = inNetns(env.netns, argv);
    child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    let answered = false;
    const quit = exited(child).then(() => {
      if (!answered) {
        throw new Error(`QEMU of ${name} exited before its guest answered: ${stderr.trim()}`);
      }
      return NaN;
    });
    const replied = firstReply(env.probe, nic.ipAddress, {
      clock: env.clock,
      timeoutMs: env.timeoutMs,
      keepNeighbour: env.keepNeighbour,
    });
    // The one that loses the race settles later with nobody waiting for it.
    for (const p of [quit, replied]) p.catch(() => undefined);
    const reply = await Promise.race([replied, quit]);
    answered = true;
    return {
      name,
      mac: nic.macAddress,
      startedAt: started,
      totalMs: reply - started,
      preparedMs: prepared - started,
      qemuToReplyMs: reply - prepared,
    };
  } finally {
    if (child) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited(child);
    }
    await taps.remove(tap);
    await rm(paths.dir, { recursive: true, force: true });
  }
}
