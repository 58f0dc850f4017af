// The hypervisor probe against the real QEMU and the real probe guest (built by make setup).
// The probe guest is first shown to reach its init under TCG, so a KVM boot that does not is
// KVM's failure. What this host's KVM answers is not assumed: the expected answer is read from
// the console log of the probe's own boot, and, where the host is known to run a nested
// paravirtual KVM (kvm_pvm) that hangs stock guest kernels, from that too.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  consoleLogFile,
  defaultProbeTimeoutMs,
  lastConsoleLine,
  probeHypervisor,
  probeQemuArgs,
  readProbeGuest,
  runBoot,
  type BootRequest,
  type ProbeGuest,
} from '../../../agent/host/hypervisor/index.ts';
import { guestDir } from '../../../hack/guest/index.ts';
import { running, runningInGroup } from './hypervisor-processes.ts';

const qemu = 'qemu-system-x86_64';
let guest: ProbeGuest;
let dir: string;

/** The real runner, recording each QEMU it started. */
function recordingRunner() {
  const pids: number[] = [];
  const requests: BootRequest[] = [];
  const runner = (req: BootRequest) => {
    requests.push(req);
    return runBoot(req, { onStart: (pid) => pids.push(pid) });
  };
  return { runner, pids, requests };
}

beforeAll(async () => {
  // A missing guest is a setup error: readProbeGuest says how to build it.
  guest = await readProbeGuest(guestDir());
  dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-hypervisor-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the probe guest', () => {
  it('reaches its init and prints the marker under TCG, then QEMU is gone', async () => {
    const pids: number[] = [];
    const outcome = await runBoot(
      { qemu, args: probeQemuArgs(guest, 'tcg'), marker: guest.marker, timeoutMs: 150_000 },
      { onStart: (pid) => pids.push(pid) },
    );
    expect(outcome.kind).toBe('marker');
    if (outcome.kind !== 'marker') return;
    // The kernel handed over to the initramfs's init, which printed the marker.
    const ranInit = outcome.console.indexOf('Run /init as init process');
    expect(ranInit).toBeGreaterThanOrEqual(0);
    expect(outcome.console.indexOf(guest.marker)).toBeGreaterThan(ranInit);
    console.log(`probe guest under TCG: marker after ${(outcome.elapsedMs / 1000).toFixed(1)} s`);
    expect(pids).toHaveLength(1);
    expect(running(pids[0] ?? 0)).toBe(false);
    expect(runningInGroup(pids[0] ?? 0)).toEqual([]);
  });
});

describe('probeHypervisor on this host', () => {
  const stateDir = () => path.join(dir, 'state');

  it('answers what its own boot showed, and leaves no QEMU behind', async () => {
    const { runner, pids } = recordingRunner();
    const started = performance.now();
    const d = await probeHypervisor({ guest, stateDir: stateDir(), runner });
    console.log(
      `probeHypervisor: ${d.hypervisor} in ${((performance.now() - started) / 1000).toFixed(1)} s: ${d.reason}`,
    );

    if (!existsSync('/dev/kvm')) {
      expect(d).toEqual({
        hypervisor: 'tcg',
        reason: expect.stringMatching(/^no \/dev\/kvm: /) as unknown as string,
      });
      expect(pids).toEqual([]);
      return;
    }
    // One boot under KVM, ended (by the marker or the timeout) with its whole process group.
    expect(pids).toHaveLength(1);
    expect(running(pids[0] ?? 0)).toBe(false);
    expect(runningInGroup(pids[0] ?? 0)).toEqual([]);

    const log = await readFile(path.join(stateDir(), consoleLogFile), 'utf8');
    if (log.includes(guest.marker)) {
      expect(d.hypervisor).toBe('kvm');
      expect(d.reason).toMatch(/^a probe guest booted under KVM reached its init in [0-9.]+ s$/);
    } else {
      expect(d.hypervisor).toBe('tcg');
      // QEMU refused KVM (it printed nothing), or the guest hung or stopped, and the reason
      // says where the console ended.
      const where = lastConsoleLine(log);
      const ended =
        where === undefined ? 'no console output' : `last console line: ${JSON.stringify(where)}`;
      const hung = `KVM is not usable: the probe guest did not reach init within ${(defaultProbeTimeoutMs / 1000).toFixed(1)} s under KVM (${ended})`;
      const stopped = `KVM is not usable: the probe guest stopped under KVM before reaching init (${ended})`;
      if (d.reason.startsWith('qemu refused the KVM accelerator: ')) expect(log).toBe('');
      else expect([hung, stopped]).toContain(d.reason);
    }
    // A nested paravirtual KVM hangs stock guest kernels right after the firmware's EDD probe,
    // or, on some of its hosts, QEMU aborts before the guest runs (an MSR it cannot set).
    if (existsSync('/sys/module/kvm_pvm')) {
      expect(d.hypervisor).toBe('tcg');
      expect(d.reason).toMatch(/did not reach init within|^qemu refused the KVM accelerator: /);
    }
  });

  it('answers a second time from its cache without booting, or boots again where QEMU refused KVM', async () => {
    const first = await probeHypervisor({ guest, stateDir: stateDir() });
    const { runner, pids } = recordingRunner();
    const again = await probeHypervisor({ guest, stateDir: stateDir(), runner });
    expect(again.hypervisor).toBe(first.hypervisor);
    if (first.reason.startsWith('qemu refused the KVM accelerator: ')) {
      // Not cached: the operator may fix what QEMU refused at any moment.
      expect(again.reason).toBe(first.reason);
      expect(pids).toHaveLength(1);
      expect(running(pids[0] ?? 0)).toBe(false);
      return;
    }
    expect(again.reason.startsWith(first.reason.replace(/ \(probed at [^)]*\)$/, ''))).toBe(true);
    expect(again.reason).toMatch(/ \(probed at [^)]*\)$/);
    expect(pids).toEqual([]);
  });

  it('answers tcg without starting qemu when the KVM device is missing', async () => {
    const { runner, requests } = recordingRunner();
    const device = path.join(dir, 'no-such-kvm');
    // A qemu that does not exist either: were the device not checked first, the answer would name qemu.
    const d = await probeHypervisor({
      guest,
      kvmDevice: device,
      qemu: path.join(dir, 'no-qemu'),
      runner,
    });
    expect(d).toEqual({
      hypervisor: 'tcg',
      reason: `no ${device}: this host's kernel offers no KVM (load kvm_intel or kvm_amd, or enable nested virtualisation)`,
    });
    expect(requests).toEqual([]);
  });
});
