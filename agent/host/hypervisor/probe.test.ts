import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cacheFile, consoleLogFile } from './cache.ts';
import { probeGuestManifest } from './guest.ts';
import { probeHypervisor } from './probe.ts';
import type { BootOutcome, BootRequest, ProbeGuest, ProbeHypervisorOptions } from './types.ts';

let dir: string;
let guest: ProbeGuest;
let device: string;
let stateDir: string;

/** A stand-in for qemu-system-x86_64 that only answers --version (the probe's boot is faked). */
async function fakeQemu(version: string): Promise<string> {
  const file = path.join(dir, `qemu-${version}`);
  await writeFile(file, `#!/bin/sh\necho "QEMU emulator version ${version}"\n`, { mode: 0o755 });
  return file;
}

/** A runner that answers the given outcomes in turn and records what it was asked. */
function fakeRunner(...outcomes: BootOutcome[]) {
  const calls: BootRequest[] = [];
  const runner = (req: BootRequest) => {
    calls.push(req);
    const next = outcomes.shift();
    return next ? Promise.resolve(next) : Promise.reject(new Error('booted once too often'));
  };
  return { runner, calls };
}

const marker: BootOutcome = {
  kind: 'marker',
  elapsedMs: 800,
  console: 'Run /init as init process\r\nMARK\r\n',
};
const hungConsole = 'Probing EDD (edd=off to disable)... ok\r\n';
const timeout: BootOutcome = {
  kind: 'timeout',
  elapsedMs: 10_000,
  console: hungConsole,
};
const refused: BootOutcome = {
  kind: 'exited',
  code: 1,
  signal: null,
  stderr: 'qemu-system-x86_64: -accel kvm: failed to initialize kvm: Permission denied\n',
  console: '',
};

async function opts(extra: Partial<ProbeHypervisorOptions> = {}): Promise<ProbeHypervisorOptions> {
  return {
    guest,
    kvmDevice: device,
    qemu: await fakeQemu('7.2.22'),
    stateDir,
    timeoutMs: 10_000,
    ...extra,
  };
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-probe-'));
  guest = {
    kernel: path.join(dir, 'vmlinuz'),
    initrd: path.join(dir, 'probe.cpio.gz'),
    marker: 'MARK',
    kernelVersion: 'linux-image-x 1',
  };
  await writeFile(guest.kernel, 'kernel');
  await writeFile(guest.initrd, 'initrd');
  // Any readable and writable file passes for the device: the boot is faked.
  device = path.join(dir, 'kvm');
  await writeFile(device, '');
  stateDir = path.join(dir, 'state');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('probeHypervisor', () => {
  it('answers kvm when the probe guest reached its init under KVM, with the request built for it', async () => {
    const { runner, calls } = fakeRunner(marker);
    const o = await opts({ runner });
    await expect(probeHypervisor(o)).resolves.toEqual({
      hypervisor: 'kvm',
      reason: 'a probe guest booted under KVM reached its init in 0.8 s',
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toEqual({
      qemu: o.qemu,
      args: expect.arrayContaining(['-accel', 'kvm', guest.kernel, guest.initrd]) as unknown,
      marker: 'MARK',
      timeoutMs: 10_000,
    });
  });

  it('answers tcg on a timeout and keeps the console of that boot in the state dir', async () => {
    const { runner } = fakeRunner(timeout);
    const d = await probeHypervisor(await opts({ runner }));
    expect(d.hypervisor).toBe('tcg');
    expect(d.reason).toContain('did not reach init within 10.0 s under KVM');
    await expect(readFile(path.join(stateDir, consoleLogFile), 'utf8')).resolves.toBe(hungConsole);
  });

  it('does not start qemu when the device is missing', async () => {
    const { runner, calls } = fakeRunner(marker);
    const d = await probeHypervisor(await opts({ runner, kvmDevice: path.join(dir, 'no-kvm') }));
    expect(d.hypervisor).toBe('tcg');
    expect(d.reason).toMatch(
      new RegExp(`^no ${path.join(dir, 'no-kvm')}: this host's kernel offers no KVM`),
    );
    expect(calls).toHaveLength(0);
  });

  it('answers tcg with a clear reason when qemu is not installed', async () => {
    const { runner, calls } = fakeRunner(marker);
    const d = await probeHypervisor(await opts({ runner, qemu: 'kcloud-no-such-qemu' }));
    expect(d).toEqual({
      hypervisor: 'tcg',
      reason:
        "kcloud-no-such-qemu is not installed (not found on PATH): install Debian's qemu-system-x86",
    });
    expect(calls).toHaveLength(0);
  });

  it('answers tcg naming the build command when the probe guest is missing', async () => {
    const { runner, calls } = fakeRunner(marker);
    const d = await probeHypervisor(await opts({ runner, guest: path.join(dir, 'no-guest') }));
    expect(d.hypervisor).toBe('tcg');
    expect(d.reason).toContain(
      `${probeGuestManifest} is missing): build it with hack/guest.sh build`,
    );
    expect(calls).toHaveLength(0);
  });

  it('reads the probe guest from its folder', async () => {
    await writeFile(
      path.join(dir, probeGuestManifest),
      JSON.stringify({
        kernel: 'vmlinuz',
        initrd: 'probe.cpio.gz',
        marker: 'MARK',
        kernelVersion: 'k 1',
      }),
    );
    const { runner, calls } = fakeRunner(marker);
    await expect(probeHypervisor(await opts({ runner, guest: dir }))).resolves.toMatchObject({
      hypervisor: 'kvm',
    });
    expect(calls[0]?.args).toEqual(expect.arrayContaining([guest.kernel, guest.initrd]));
  });
});

describe('the cached decision', () => {
  it('answers a restart from the state dir without booting, saying when it was probed', async () => {
    const first = fakeRunner(timeout);
    const d1 = await probeHypervisor(await opts({ runner: first.runner }));
    const again = fakeRunner();
    const d2 = await probeHypervisor(await opts({ runner: again.runner }));
    expect(again.calls).toHaveLength(0);
    expect(d2.hypervisor).toBe(d1.hypervisor);
    expect(d2.reason.startsWith(`${d1.reason} (probed at `)).toBe(true);
    expect(d2.reason).toMatch(/\(probed at \d{4}-\d\d-\d\dT[0-9:.]+Z\)$/);
    const onDisk = JSON.parse(await readFile(path.join(stateDir, cacheFile), 'utf8')) as {
      parts: unknown;
    };
    expect(onDisk.parts).toEqual({
      hostKernel: os.release(),
      qemuVersion: 'QEMU emulator version 7.2.22',
      probeKernel: 'linux-image-x 1',
      kvmDevice: device,
    });
  });

  it('is not used after QEMU changed', async () => {
    await probeHypervisor(await opts({ runner: fakeRunner(timeout).runner }));
    const again = fakeRunner(marker);
    const d = await probeHypervisor(
      await opts({ runner: again.runner, qemu: await fakeQemu('8.0.0') }),
    );
    expect(again.calls).toHaveLength(1);
    expect(d.hypervisor).toBe('kvm');
  });

  it('is not used after the probe kernel changed', async () => {
    await probeHypervisor(await opts({ runner: fakeRunner(timeout).runner }));
    const again = fakeRunner(marker);
    await probeHypervisor(
      await opts({ runner: again.runner, guest: { ...guest, kernelVersion: 'linux-image-x 2' } }),
    );
    expect(again.calls).toHaveLength(1);
  });

  it('is not used for another device path', async () => {
    await probeHypervisor(await opts({ runner: fakeRunner(timeout).runner }));
    const other = path.join(dir, 'kvm2');
    await writeFile(other, '');
    const again = fakeRunner(marker);
    await probeHypervisor(await opts({ runner: again.runner, kvmDevice: other }));
    expect(again.calls).toHaveLength(1);
  });

  it('is replaced on refresh', async () => {
    await probeHypervisor(await opts({ runner: fakeRunner(timeout).runner }));
    const again = fakeRunner(marker);
    await expect(
      probeHypervisor(await opts({ runner: again.runner, refresh: true })),
    ).resolves.toMatchObject({ hypervisor: 'kvm' });
    // The new answer is the one kept.
    await expect(
      probeHypervisor(await opts({ runner: fakeRunner().runner })),
    ).resolves.toMatchObject({ hypervisor: 'kvm' });
  });

  it('is not written when QEMU refused the accelerator: the operator may fix that at any time', async () => {
    const { runner, calls } = fakeRunner(refused, marker);
    await expect(probeHypervisor(await opts({ runner }))).resolves.toMatchObject({
      hypervisor: 'tcg',
    });
    await expect(probeHypervisor(await opts({ runner }))).resolves.toMatchObject({
      hypervisor: 'kvm',
    });
    expect(calls).toHaveLength(2);
  });

  it('ignores a file it cannot read', async () => {
    await probeHypervisor(await opts({ runner: fakeRunner(timeout).runner }));
    await writeFile(path.join(stateDir, cacheFile), '{"key": 1');
    const again = fakeRunner(marker);
    await expect(probeHypervisor(await opts({ runner: again.runner }))).resolves.toMatchObject({
      hypervisor: 'kvm',
    });
    expect(again.calls).toHaveLength(1);
  });

  it('is kept nowhere without a state dir', async () => {
    const { runner, calls } = fakeRunner(marker, marker);
    const o = await opts({ runner });
    delete o.stateDir;
    await probeHypervisor(o);
    await probeHypervisor(o);
    expect(calls).toHaveLength(2);
  });
});
