// probeHypervisor: `kvm` only when a probe guest booted under KVM reaches its init in time;
// otherwise `tcg` and why. Cheap checks come first (the device, QEMU, the probe guest), then a
// cached decision for the same host kernel, QEMU and probe kernel, and only then a boot.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import os from 'node:os';
import { promisify } from 'node:util';
import { runBoot } from './boot.ts';
import {
  consoleLogFile,
  probeKey,
  readCachedDecision,
  writeCachedDecision,
  writeStateFile,
} from './cache.ts';
import { decide } from './decide.ts';
import { readProbeGuest } from './guest.ts';
import { probeQemuArgs } from './qemu-args.ts';
import type { HypervisorDecision, ProbeGuest, ProbeHypervisorOptions } from './types.ts';

/**
 * A stock Debian kernel with the probe initramfs reaches its init in about 1 s under KVM on a
 * real host and in about 3 s under TCG on a slow shared one (docs/development.md); a guest
 * that took longer than this under KVM would be better off under TCG anyway.
 */
export const defaultProbeTimeoutMs = 10_000;

const execFileAsync = promisify(execFile);

async function deviceProblem(device: string): Promise<string | undefined> {
  try {
    await access(device, constants.R_OK | constants.W_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return `no ${device}: this host's kernel offers no KVM (load kvm_intel or kvm_amd, or enable nested virtualisation)`;
    }
    if (code === 'EACCES' || code === 'EPERM') {
      return `${device} is not accessible to this process (uid ${String(process.getuid?.() ?? '?')}): give it read and write access (the kvm group)`;
    }
    return `${device} cannot be opened: ${(err as Error).message}`;
  }
}

type QemuVersion = { version: string } | { problem: string };

async function qemuVersion(qemu: string): Promise<QemuVersion> {
  try {
    const { stdout } = await execFileAsync(qemu, ['--version'], { timeout: 10_000 });
    const first = stdout.split('\n')[0]?.trim() ?? '';
    return { version: first === '' ? 'unknown' : first };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') {
      return {
        problem: `${qemu} is not installed (not found${qemu.includes('/') ? '' : ' on PATH'}): install Debian's qemu-system-x86`,
      };
    }
    return { problem: `${qemu} --version failed: ${e.message}` };
  }
}

async function loadGuest(guest: ProbeGuest | string): Promise<ProbeGuest | { problem: string }> {
  const g =
    typeof guest === 'string'
      ? await readProbeGuest(guest).catch((err: unknown) => ({ problem: (err as Error).message }))
      : guest;
  if ('problem' in g) return g;
  for (const file of [g.kernel, g.initrd]) {
    try {
      await access(file, constants.R_OK);
    } catch {
      return {
        problem: `the probe guest's ${file} is missing or unreadable: build it with hack/guest.sh build`,
      };
    }
  }
  return g;
}

export async function probeHypervisor(opts: ProbeHypervisorOptions): Promise<HypervisorDecision> {
  const device = opts.kvmDevice ?? '/dev/kvm';
  const qemu = opts.qemu ?? 'qemu-system-x86_64';
  const timeoutMs = opts.timeoutMs ?? defaultProbeTimeoutMs;

  const noDevice = await deviceProblem(device);
  if (noDevice !== undefined) return { hypervisor: 'tcg', reason: noDevice };
  const q = await qemuVersion(qemu);
  if ('problem' in q) return { hypervisor: 'tcg', reason: q.problem };
  const guest = await loadGuest(opts.guest);
  if ('problem' in guest)
    return { hypervisor: 'tcg', reason: `KVM was not probed: ${guest.problem}` };

  const parts = {
    hostKernel: os.release(),
    qemuVersion: q.version,
    probeKernel: guest.kernelVersion,
    kvmDevice: device,
  };
  const key = probeKey(parts);
  if (opts.stateDir !== undefined && opts.refresh !== true) {
    const cached = await readCachedDecision(opts.stateDir, key);
    if (cached) {
      return {
        hypervisor: cached.decision.hypervisor,
        reason: `${cached.decision.reason} (probed at ${cached.probedAt})`,
      };
    }
  }

  const run = opts.runner ?? runBoot;
  // The device path reaches QEMU only through the check above: QEMU always opens /dev/kvm.
  const outcome = await run({
    qemu,
    args: probeQemuArgs(guest, 'kvm'),
    marker: guest.marker,
    timeoutMs,
  });
  const { decision, cacheable } = decide(outcome, timeoutMs);
  if (opts.stateDir !== undefined) {
    if ('console' in outcome) await writeStateFile(opts.stateDir, consoleLogFile, outcome.console);
    if (cacheable) {
      await writeCachedDecision(opts.stateDir, {
        key,
        parts,
        probedAt: new Date().toISOString(),
        decision,
      });
    }
  }
  return decision;
}
