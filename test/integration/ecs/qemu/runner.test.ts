// The QEMU runner against real QEMU 7.2 under TCG, booting the probe guest's kernel with a
// busybox PID 1 that sleeps, and qcow2 disks made by qemu-img. At most two VMs run at once;
// every QEMU started here is killed by pid in afterAll, whatever happened.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ProbeGuest } from '../../../../agent/host/hypervisor/index.ts';
import {
  diskThrottleLimits,
  isVmProcess,
  VmRunner,
  type Vm,
  type VmDefinition,
} from '../../../../operators/ecs/backend/qemu/index.ts';
import {
  childScript,
  exists,
  qcow2,
  readyLine,
  requireQemu,
  testGuest,
  testVm,
  waitForConsole,
} from './test-guest.ts';
import { useTestCeph } from '../../../harness/ceph.ts';

const ceph = useTestCeph('ecs-qemu');
const run = promisify(execFile);
let guest: ProbeGuest;
let dir: string;
let stateDir: string;
const started: { pid: number; uuid: string }[] = [];

interface RbdDisk {
  pool: string;
  image: string;
  monitors: string[];
  user: string;
  key: string;
  keyFile: string;
  keyring: string;
}

/** An RBD image of `sizeMiB` in a fresh pool, with a user restricted to that pool. */
async function rbdImage(image: string, sizeMiB: number): Promise<RbdDisk> {
  const info = await ceph.info();
  const pool = await ceph.pool();
  const user = await ceph.user(pool);
  const a = ceph.admin;
  await run('rbd', [
    '--conf',
    a.conf,
    '--keyring',
    a.keyring,
    '--id',
    a.id,
    'create',
    '--size',
    String(sizeMiB),
    `${pool}/${image}`,
  ]);
  const keyFile = path.join(dir, `${pool}.key`);
  await writeFile(keyFile, user.key, { mode: 0o600 });
  return {
    pool,
    image,
    monitors: [info.monHost],
    user: user.id,
    key: user.key,
    keyFile,
    keyring: user.keyringPath,
  };
}

const rbdSource = (r: RbdDisk) =>
  ({
    kind: 'rbd',
    pool: r.pool,
    image: r.image,
    monitors: r.monitors,
    user: r.user,
    keyFile: r.keyFile,
  }) as const;

function track(vm: Vm): Vm {
  if (vm.pid !== undefined) started.push({ pid: vm.pid, uuid: vm.uuid });
  return vm;
}

beforeAll(async () => {
  await requireQemu();
  guest = await testGuest();
  // Short: unix socket paths under it must stay within 107 bytes.
  dir = await mkdtemp(path.join(os.tmpdir(), 'kc-vm-'));
  stateDir = path.join(dir, 'state');
});

afterAll(async () => {
  for (const { pid, uuid } of started) {
    if (await isVmProcess(pid, uuid)) process.kill(pid, 'SIGKILL');
  }
  await rm(dir, { recursive: true, force: true });
});

/** Reads the RFB greeting and the security types a VNC server offers. */
async function vncSecurityTypes(port: number): Promise<{ banner: string; types: number[] }> {
  const socket = net.createConnection({ host: '127.0.0.1', port });
  let data = Buffer.alloc(0);
  const need = async (n: number) => {
    while (data.length < n) {
      const [chunk] = (await once(socket, 'data')) as [Buffer];
      data = Buffer.concat([data, chunk]);
    }
  };
  try {
    await need(12);
    const banner = data.subarray(0, 12).toString('latin1');
    data = data.subarray(12);
    socket.write('RFB 003.008\n');
    await need(1);
    const count = data[0] ?? 0;
    await need(1 + count);
    return { banner, types: [...data.subarray(1, 1 + count)] };
  } finally {
    socket.destroy();
  }
}

describe('a VM started by the runner', () => {
  let runner: VmRunner;
  let vm: Vm;
  let def: VmDefinition;
  let rbd: RbdDisk;

  beforeAll(async () => {
    runner = new VmRunner({ stateDir });
    rbd = await rbdImage('boot', 16);
    def = testVm(guest, {
      disks: [
        {
          id: 'rbd0',
          source: rbdSource(rbd),
          serial: 'rbd-vol',
          throttle: { iopsRead: 200, iopsWrite: 100 },
        },
        {
          id: 'vol0',
          source: {
            kind: 'file',
            path: await qcow2(path.join(dir, 'root.qcow2'), '64M'),
            format: 'qcow2',
          },
          serial: 'root-vol',
          bootIndex: 1,
          throttle: { iopsTotal: 500, bpsTotal: 10 * 1024 * 1024 },
        },
      ],
    });
    const t0 = performance.now();
    vm = track(await runner.start(def, { vncPassword: 'pw123456' }));
    // Not asserted (no wall-clock assertions): reported with the other figures.
    console.log(`start → QMP ready and running: ${(performance.now() - t0).toFixed(0)} ms`);
    await waitForConsole(vm.paths.consoleLog, readyLine);
  });

  afterAll(async () => {
    await vm.kill();
  });

  it('runs, as QMP and the process table say, with its UUID on its command line', async () => {
    expect(await vm.status()).toMatchObject({ state: 'running', runState: 'running', pid: vm.pid });
    expect(await isVmProcess(vm.pid ?? 0, def.uuid)).toBe(true);
    const name = await (await vm.monitor()).execute('query-name');
    expect(name).toEqual({ name: def.name });
  });

  it('opens an RBD disk with a cephx user whose key is read from a file, never an argument', async () => {
    expect((await vm.disks()).find((d) => d.id === 'rbd0')).toEqual({
      id: 'rbd0',
      sizeBytes: 16 * 1024 * 1024,
      readOnly: false,
    });
    const cmdline = await readFile(`/proc/${String(vm.pid)}/cmdline`, 'utf8');
    expect(cmdline).toContain(rbd.keyFile);
    expect(cmdline).not.toContain(rbd.key);
    expect(await diskThrottleLimits(await vm.monitor(), 'rbd0')).toMatchObject({
      'iops-read': 200,
      'iops-write': 100,
    });
  });

  it('snapshots an attached RBD disk while the guest runs', async () => {
    const a = ceph.admin;
    const snaps = async () =>
      (
        await run('rbd', [
          '--conf',
          a.conf,
          '--keyring',
          a.keyring,
          '--id',
          a.id,
          'snap',
          'ls',
          `${rbd.pool}/${rbd.image}`,
        ])
      ).stdout;
    await vm.snapshotDisk('rbd0', 'snap-r1');
    expect(await snaps()).toMatch(/\bsnap-r1\b/);
    await vm.deleteDiskSnapshot('rbd0', 'snap-r1');
    expect(await snaps()).not.toMatch(/\bsnap-r1\b/);
  });

  it('hot-attaches and detaches an RBD image reached through a ceph.conf alone', async () => {
    const more = await rbdImage('data', 8);
    const conf = path.join(dir, `${more.pool}.conf`);
    await writeFile(
      conf,
      `[global]\nmon host = ${more.monitors.join(',')}\n[client.${more.user}]\nkeyring = ${more.keyring}\n`,
    );
    await vm.attachDisk({
      id: 'rbd1',
      source: {
        kind: 'rbd',
        pool: more.pool,
        image: more.image,
        monitors: [],
        user: more.user,
        conf,
      },
    });
    expect((await vm.disks()).find((d) => d.id === 'rbd1')?.sizeBytes).toBe(8 * 1024 * 1024);
    await vm.detachDisk('rbd1');
    expect((await vm.disks()).map((d) => d.id)).not.toContain('rbd1');
  });

  it('pauses and resumes, with STOP and RESUME events', async () => {
    const events: string[] = [];
    const off = vm.onEvent((e) => events.push(e.event));
    await vm.pause();
    expect(await vm.status()).toMatchObject({ state: 'paused', runState: 'paused' });
    await vm.resume();
    expect(await vm.status()).toMatchObject({ state: 'running' });
    off();
    expect(events).toEqual(['STOP', 'RESUME']);
  });

  it('reboots (system_reset): a RESET event, and the guest boots again', async () => {
    const reset = (await vm.monitor()).waitForEvent('RESET', { timeoutMs: 10_000 });
    await vm.reboot();
    await expect(reset).resolves.toMatchObject({ data: { guest: false } });
    const deadline = Date.now() + 90_000;
    let text = '';
    while (text.split(readyLine).length - 1 < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      text = await readFile(vm.paths.consoleLog, 'utf8');
    }
    expect(text.split(readyLine).length - 1).toBe(2);
    expect(await vm.status()).toMatchObject({ state: 'running' });
  });

  it("puts the disk behind its own throttle group with the volume type's limits, changeable live", async () => {
    expect(await diskThrottleLimits(await vm.monitor(), 'vol0')).toMatchObject({
      'iops-total': 500,
      'bps-total': 10 * 1024 * 1024,
      'iops-read': 0,
    });
    await vm.setDiskThrottle('vol0', { iopsRead: 100, iopsWrite: 50 });
    expect(await diskThrottleLimits(await vm.monitor(), 'vol0')).toMatchObject({
      'iops-total': 0,
      'iops-read': 100,
      'iops-write': 50,
      'bps-total': 0,
    });
  });

  it('hot-attaches a disk (seen in query-block) and detaches it (gone, nodes freed)', async () => {
    const file = await qcow2(path.join(dir, 'data.qcow2'), '32M');
    await vm.attachDisk({
      id: 'vol1',
      source: { kind: 'file', path: file, format: 'qcow2' },
      serial: 'data-vol',
    });
    expect(await vm.disks()).toEqual([
      { id: 'rbd0', sizeBytes: 16 * 1024 * 1024, readOnly: false },
      { id: 'vol0', sizeBytes: 64 * 1024 * 1024, readOnly: false },
      { id: 'vol1', sizeBytes: 32 * 1024 * 1024, readOnly: false },
    ]);
    await expect(
      vm.attachDisk({ id: 'vol1', source: { kind: 'file', path: file, format: 'qcow2' } }),
    ).rejects.toMatchObject({ reason: 'DeviceConflict' });
    await vm.detachDisk('vol1');
    expect((await vm.disks()).map((d) => d.id)).toEqual(['rbd0', 'vol0']);
    const nodes = await (
      await vm.monitor()
    ).execute<{ 'node-name': string }[]>('query-named-block-nodes');
    expect(nodes.map((n) => n['node-name']).filter((n) => n.startsWith('disk-vol1'))).toEqual([]);
    // Detaching what is not there is done already.
    await vm.detachDisk('vol1');
    // The same id can be attached again: nothing of the first attach was left behind.
    await vm.attachDisk({ id: 'vol1', source: { kind: 'file', path: file, format: 'qcow2' } });
    await vm.detachDisk('vol1');
  });

  it('snapshots an attached qcow2 disk while the guest runs, and deletes the snapshot', async () => {
    await vm.snapshotDisk('vol0', 'snap-1');
    // Taking it again is done already.
    await vm.snapshotDisk('vol0', 'snap-1');
    const tags = async () => {
      // -U: QEMU holds the image open.
      const { stdout } = await run('qemu-img', [
        'snapshot',
        '-U',
        '-l',
        path.join(dir, 'root.qcow2'),
      ]);
      return stdout;
    };
    expect(await tags()).toMatch(/\bsnap-1\b/);
    await vm.deleteDiskSnapshot('vol0', 'snap-1');
    await vm.deleteDiskSnapshot('vol0', 'snap-1');
    expect(await tags()).not.toMatch(/\bsnap-1\b/);
    expect(await vm.status()).toMatchObject({ state: 'running' });
  });

  it('takes back what it built when a hot-attach fails half way', async () => {
    await expect(
      vm.attachDisk({
        id: 'vol2',
        source: { kind: 'file', path: path.join(dir, 'missing.qcow2'), format: 'qcow2' },
      }),
    ).rejects.toMatchObject({ reason: 'CommandFailed' });
    const objects = await (
      await vm.monitor()
    ).execute<{ name: string }[]>('qom-list', { path: '/objects' });
    expect(objects.map((o) => o.name)).not.toContain('tg-vol2');
  });

  it('grows a disk online (block_resize) and refuses to shrink it', async () => {
    await vm.resizeDisk('vol0', 96 * 1024 * 1024);
    expect((await vm.disks()).find((d) => d.id === 'vol0')?.sizeBytes).toBe(96 * 1024 * 1024);
    await expect(vm.resizeDisk('vol0', 32 * 1024 * 1024)).rejects.toMatchObject({
      reason: 'InvalidDefinition',
    });
  });

  it('hot-attaches a NIC on a tap QEMU opens, and detaches it', async () => {
    // The tap QEMU makes here is never brought up: no traffic leaves it.
    const tap = `kct${def.uuid.slice(0, 8)}`;
    await vm.attachNic({ id: 'eth1', tap, mac: '52:54:00:aa:bb:01' });
    expect(await vm.nics()).toEqual(['eth1']);
    await vm.detachNic('eth1');
    expect(await vm.nics()).toEqual([]);
  });

  it('answers VNC on 127.0.0.1 only with password authentication (RFB type 2, never 1)', async () => {
    const vnc = await vm.vncAddress();
    expect(vnc.host).toBe('127.0.0.1');
    const { banner, types } = await vncSecurityTypes(vnc.port);
    expect(banner).toMatch(/^RFB 003\.00\d\n$/);
    expect(types).toEqual([2]);
  });
});

describe('re-adoption', () => {
  it('finds the VM of an agent that was killed: same pid, QMP answers, the VM never stopped', async () => {
    const def = testVm(guest);
    const child = spawn(process.execPath, [childScript, stateDir, JSON.stringify(def)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const deadline = Date.now() + 60_000;
    while (!/started \d+\n/.test(out) && child.exitCode === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const pid = Number(/started (\d+)/.exec(out)?.[1]);
    if (!pid) throw new Error(`the child agent did not start its VM: ${out} ${err}`);
    started.push({ pid, uuid: def.uuid });
    child.kill('SIGKILL');
    await once(child, 'close');

    const vm = await new VmRunner({ stateDir }).adopt(def.uuid);
    expect(vm?.pid).toBe(pid);
    expect(vm?.definition).toEqual(def);
    expect(await vm?.status()).toMatchObject({ state: 'running', pid });
    // The killed agent's monitor connection is gone; ours works.
    await expect(vm?.vncAddress()).resolves.toMatchObject({ host: '127.0.0.1' });
    // Callers at the same moment share one new connection (QEMU serves one monitor client).
    vm?.disconnect();
    const both = await Promise.all([vm?.status(), vm?.status()]);
    expect(both.map((s) => s?.state)).toEqual(['running', 'running']);
    expect(await new VmRunner({ stateDir }).list()).toContain(def.uuid);

    // Killed outright, QEMU leaves its pid file: the status says exited, and why.
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    expect(await vm?.status()).toEqual({
      state: 'exited',
      reason:
        'QEMU exited without shutting down: it was killed or crashed (see console.log and the host journal)',
    });
    // A runner that comes later sees the same.
    const later = await new VmRunner({ stateDir }).adopt(def.uuid);
    expect(later?.pid).toBeUndefined();
    expect((await later?.status())?.state).toBe('exited');
    await new VmRunner({ stateDir }).remove(def.uuid);
    expect(await exists(path.join(stateDir, 'vms', def.uuid))).toBe(false);
  });

  it('says there is nothing to adopt for a VM it never ran', async () => {
    await expect(
      new VmRunner({ stateDir }).adopt('00000000-0000-4000-8000-000000000000'),
    ).resolves.toBeUndefined();
  });
});

describe('stopping and removing', () => {
  it('forces a guest that ignores the ACPI power button after the timeout, then removes it all', async () => {
    const runner = new VmRunner({ stateDir });
    const vm = track(await runner.start(testVm(guest)));
    await waitForConsole(vm.paths.consoleLog, readyLine);
    const pid = vm.pid ?? 0;
    await expect(runner.remove(vm.uuid)).rejects.toMatchObject({ reason: 'AlreadyRunning' });
    expect(await vm.stop({ timeoutMs: 3000 })).toEqual({ how: 'forced' });
    expect(await vm.status()).toEqual({
      state: 'exited',
      reason: 'stopped by force: the guest did not power off within 3 s of the ACPI request',
    });
    expect(await isVmProcess(pid, vm.uuid)).toBe(false);
    await runner.remove(vm.uuid);
    expect(await exists(vm.paths.dir)).toBe(false);
    expect(await runner.list()).not.toContain(vm.uuid);
  });

  it('shows a guest that powered off as shutdown (QEMU waits), and stops it as powered off', async () => {
    const runner = new VmRunner({ stateDir });
    // The probe guest's own init prints its marker and powers off at once.
    const vm = track(
      await runner.start(
        testVm(guest, {
          kernelBoot: { kernel: guest.kernel, initrd: guest.initrd, append: 'console=ttyS0' },
        }),
      ),
    );
    const deadline = Date.now() + 90_000;
    let status = await vm.status();
    while (status.state === 'running' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      status = await vm.status();
    }
    expect(status).toEqual({
      state: 'shutdown',
      runState: 'shutdown',
      pid: vm.pid,
      reason: 'the guest powered off',
    });
    expect(await vm.stop({ timeoutMs: 3000 })).toEqual({ how: 'powered-off' });
    expect(await vm.status()).toEqual({
      state: 'exited',
      reason: 'stopped: the guest powered off',
    });
    await runner.remove(vm.uuid);
  });

  it('kills a QEMU whose monitor does not answer, by pid', async () => {
    const runner = new VmRunner({ stateDir, qmpTimeoutMs: 1000 });
    const vm = track(await runner.start(testVm(guest)));
    const pid = vm.pid ?? 0;
    // A stopped process answers nothing and exits on nothing but SIGKILL.
    process.kill(pid, 'SIGSTOP');
    expect(await vm.stop({ timeoutMs: 1000, quitTimeoutMs: 1000 })).toEqual({
      how: 'forced',
      killed: true,
    });
    expect(await isVmProcess(pid, vm.uuid)).toBe(false);
    expect(await vm.status()).toEqual({
      state: 'exited',
      reason: "stopped by force: QEMU's monitor did not answer",
    });
    await runner.remove(vm.uuid);
  });

  it('refuses to start a VM twice', async () => {
    const runner = new VmRunner({ stateDir });
    const def = testVm(guest);
    const vm = track(await runner.start(def, { paused: true }));
    expect(await vm.status()).toMatchObject({ state: 'paused', runState: 'prelaunch' });
    await expect(runner.start(def)).rejects.toMatchObject({ reason: 'AlreadyRunning' });
    expect(await vm.stop()).toEqual({ how: 'forced' });
    await runner.remove(def.uuid);
  });

  it("reports QEMU's own words when it cannot start, and leaves no process behind", async () => {
    const runner = new VmRunner({ stateDir });
    const def = testVm(guest, {
      disks: [
        {
          id: 'vol0',
          source: { kind: 'file', path: path.join(dir, 'none.qcow2'), format: 'qcow2' },
        },
      ],
    });
    const err = await runner.start(def).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'QemuFailed' });
    expect((err as Error).message).toMatch(
      /^QEMU failed to start: .*none\.qcow2.*No such file or directory/,
    );
    const vm = await runner.adopt(def.uuid);
    expect((await vm?.status())?.state).toBe('exited');
    await runner.remove(def.uuid);
  });
});
