// The runner and the guest agent client with the demo guest (hack/guest.sh build): booted from
// its disk (a qcow2 overlay) with a NoCloud seed, it runs qemu-ga on the runner's
// org.qemu.guest_agent.0 channel and powers off on the ACPI power button.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { guestDir, readDemoGuest, type DemoGuest } from '../../../../hack/guest/index.ts';
import { GuestAgentClient } from '../../../../operators/ecs/backend/guest-agent/index.ts';
import { isVmProcess, VmRunner, type Vm } from '../../../../operators/ecs/backend/qemu/index.ts';
import { writeSeed } from '../../../../operators/ecs/backend/seed/index.ts';
import { qcow2, requireQemu, testUuid, waitForConsole } from './test-guest.ts';

const exec = promisify(execFile);
const hostname = 'runner-demo';
let dir: string;
let guest: DemoGuest;
let vm: Vm | undefined;
let qga: GuestAgentClient | undefined;

beforeAll(async () => {
  await requireQemu();
  try {
    guest = await readDemoGuest(guestDir());
  } catch (err) {
    throw new Error(`setup: ${(err as Error).message}`, { cause: err });
  }
  dir = await mkdtemp(path.join(os.tmpdir(), 'kc-demo-'));
  const root = path.join(dir, 'root.qcow2');
  await exec('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', guest.image, root]);
  const seed = path.join(dir, 'seed.img');
  await writeSeed(seed, { instanceId: 'i-runner-demo', hostname, sshAuthorizedKeys: [] });
  const runner = new VmRunner({ stateDir: path.join(dir, 'state') });
  const t0 = performance.now();
  vm = await runner.start({
    uuid: testUuid(),
    name: 'kcloud-test_runner-demo',
    vcpus: 1,
    memoryMiB: 256,
    accel: 'tcg',
    disks: [{ id: 'root', source: { kind: 'file', path: root, format: 'qcow2' }, bootIndex: 1 }],
    nics: [],
    seed: { path: seed },
  });
  const t1 = performance.now();
  await waitForConsole(vm.paths.consoleLog, 'kcloud-guest: ready', 120_000);
  // Reported, not asserted (no wall-clock assertions).
  console.log(
    `demo guest: start → QMP ready ${(t1 - t0).toFixed(0)} ms, → ready line ${(performance.now() - t0).toFixed(0)} ms`,
  );
  qga = await GuestAgentClient.connect(vm.paths.qga, { timeoutMs: 20_000 });
});

afterAll(async () => {
  qga?.close();
  const pid = vm?.pid;
  if (vm && pid !== undefined && (await isVmProcess(pid, vm.uuid))) process.kill(pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** The guest's virtio disks as it sees them: serial and size in 512-byte sectors. */
async function guestDisks(): Promise<Record<string, number>> {
  const r = await qga?.exec('/bin/sh', [
    '-c',
    'for d in /sys/block/vd*; do echo "$(cat $d/serial) $(cat $d/size)"; done',
  ]);
  expect(r?.exitCode).toBe(0);
  return Object.fromEntries(
    (r?.stdout ?? '')
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .map(([serial, size]) => [serial ?? '', Number(size)]),
  );
}

describe('the demo guest under the runner', () => {
  it('answers the guest agent: ping and the hostname from its seed', async () => {
    await qga?.ping();
    await expect(qga?.hostName()).resolves.toBe(hostname);
  });

  it("sets a user's password through the guest agent", async () => {
    const entry = async () =>
      (
        await qga?.exec('/bin/sh', [
          '-c',
          'cat /etc/shadow /etc/passwd 2>/dev/null | grep "^root:"',
        ])
      )?.stdout;
    const before = await entry();
    await qga?.setUserPassword('root', 'n3w,pass=word');
    // The demo guest's root starts locked (`root:*`) and now has a SHA-512 crypt hash.
    expect(before).toMatch(/^root:\*:/);
    expect(await entry()).toMatch(/^root:\$6\$[^:]+:/);
  });

  it('sees a hot-attached disk, its online growth, and its detach', async () => {
    const file = await qcow2(path.join(dir, 'data.qcow2'), '32M');
    await vm?.attachDisk({
      id: 'data',
      source: { kind: 'file', path: file, format: 'qcow2' },
      serial: 'data-1',
    });
    const deadline = Date.now() + 30_000;
    let disks = await guestDisks();
    while (disks['data-1'] === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      disks = await guestDisks();
    }
    expect(disks['data-1']).toBe((32 * 1024 * 1024) / 512);
    expect(disks.cidata).toBeGreaterThan(0);

    await vm?.resizeDisk('data', 48 * 1024 * 1024);
    expect((await guestDisks())['data-1']).toBe((48 * 1024 * 1024) / 512);

    await vm?.detachDisk('data');
    expect((await guestDisks())['data-1']).toBeUndefined();
  });

  it('takes freeze and thaw requests (nothing to freeze in this guest: its root is an initramfs)', async () => {
    // The demo guest has no filesystem that supports freezing (FAT does not, and ext4 is not
    // in it), so qemu-ga freezes none; the counts show the requests went through.
    await expect(qga?.freezeFilesystems()).resolves.toBe(0);
    await expect(qga?.thawFilesystems()).resolves.toBe(0);
    await expect(qga?.filesystemsFrozen()).resolves.toBe(false);
  });

  it('powers off cleanly on the ACPI power button', async () => {
    expect(await vm?.stop({ timeoutMs: 60_000 })).toEqual({ how: 'powered-off' });
    expect(await vm?.status()).toEqual({
      state: 'exited',
      reason: 'stopped: the guest powered off',
    });
  });
});
