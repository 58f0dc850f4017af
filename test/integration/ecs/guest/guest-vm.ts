// The demo guest under a bare qemu-system-x86_64, as a test drives it: a qcow2 overlay on the
// built image (the image itself is never written), a seed disk, user-mode networking that
// reaches nothing outside (restrict=on) with host ports forwarded from 127.0.0.1 only (or a tap
// in a network namespace the test made), the guest-agent channel and QMP on UNIX sockets, and
// the serial console in a file.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort, toolOutput } from '../../../../hack/cluster/index.ts';

export interface GuestVm {
  process: ChildProcess;
  pid: number;
  startedAt: number;
  console: string;
  qmp: string;
  qga: string;
  httpPort: number;
  sshPort: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** User-mode networking with ports forwarded from loopback, or a tap in a network namespace. */
export type GuestNetwork = { kind: 'user' } | { kind: 'tap'; netns: string; tap: string };

export async function startGuest(opts: {
  dir: string;
  image: string;
  seed: string;
  name: string;
  network?: GuestNetwork;
}): Promise<GuestVm> {
  const network = opts.network ?? { kind: 'user' };
  const overlay = path.join(opts.dir, `${opts.name}.qcow2`);
  await toolOutput('qemu-img', [
    'create',
    '-q',
    '-f',
    'qcow2',
    '-F',
    'qcow2',
    '-b',
    opts.image,
    overlay,
  ]);
  const httpPort = await freePort();
  const sshPort = await freePort();
  const vm = {
    console: path.join(opts.dir, `${opts.name}.console.log`),
    qmp: path.join(opts.dir, `${opts.name}.qmp.sock`),
    qga: path.join(opts.dir, `${opts.name}.qga.sock`),
  };
  const args = [
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-machine',
    'q35',
    '-accel',
    'tcg,tb-size=128',
    '-m',
    '256',
    '-smp',
    '1',
    '-drive',
    `file=${overlay},format=qcow2,if=none,id=boot`,
    '-device',
    'virtio-blk-pci,drive=boot,bootindex=0',
    '-drive',
    `file=${opts.seed},format=raw,if=none,id=seed,readonly=on`,
    '-device',
    'virtio-blk-pci,drive=seed',
    '-netdev',
    network.kind === 'user'
      ? `user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:${String(httpPort)}-:80,hostfwd=tcp:127.0.0.1:${String(sshPort)}-:22`
      : `tap,id=n0,ifname=${network.tap},script=no,downscript=no`,
    '-device',
    'virtio-net-pci,netdev=n0',
    // A PCIe slot a NIC can be plugged into while the guest runs (q35's root bus has none).
    '-device',
    'pcie-root-port,id=hotplug0,chassis=1',
    '-device',
    'virtio-serial-pci',
    '-chardev',
    `socket,id=qga,path=${vm.qga},server=on,wait=off`,
    '-device',
    'virtserialport,chardev=qga,name=org.qemu.guest_agent.0',
    '-qmp',
    `unix:${vm.qmp},server=on,wait=off`,
    '-chardev',
    `file,id=serial,path=${vm.console}`,
    '-serial',
    'chardev:serial',
  ];
  const startedAt = Date.now();
  // ip netns exec runs QEMU in the namespace as the same process (it execs it).
  const [file, ...argv] =
    network.kind === 'user'
      ? ['qemu-system-x86_64', ...args]
      : ['ip', 'netns', 'exec', network.netns, 'qemu-system-x86_64', ...args];
  const child = spawn(file, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  await Promise.race([
    once(child, 'spawn'),
    once(child, 'error').then(([err]) => {
      throw new Error(
        `qemu-system-x86_64 could not run (${(err as Error).message}): install Debian qemu-system-x86, or run make setup`,
      );
    }),
  ]);
  if (child.pid === undefined) throw new Error(`qemu-system-x86_64 did not start: ${stderr}`);
  void exited.then(({ code }) => {
    if (code !== 0 && stderr !== '') process.stderr.write(`qemu ${opts.name}: ${stderr}\n`);
  });
  return { process: child, pid: child.pid, startedAt, ...vm, httpPort, sshPort, exited };
}

export function consoleText(vm: GuestVm): string {
  return existsSync(vm.console) ? readFileSync(vm.console, 'utf8') : '';
}

/** The ready lines the console shows so far. */
export function readyLines(vm: GuestVm): string[] {
  return consoleText(vm)
    .split(/\r?\n/)
    .map((l) => /kcloud-guest: ready hostname=\S+ ip=\S+/.exec(l)?.[0])
    .filter((l): l is string => l !== undefined);
}

/** Waits for the `count`th ready line; fails with the console when QEMU stops first. */
export async function waitReady(vm: GuestVm, count = 1, timeoutMs = 180_000): Promise<string> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    const lines = readyLines(vm);
    const line = lines[count - 1];
    if (line !== undefined) return line;
    if (vm.process.exitCode !== null || vm.process.signalCode !== null)
      throw new Error(`QEMU exited before ready line ${String(count)}:\n${consoleText(vm)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ready line ${String(count)} in ${String(timeoutMs)} ms:\n${consoleText(vm)}`);
}

/** Stops a QEMU that still runs (SIGKILL by its PID) and waits for it. */
export async function stopGuest(vm: GuestVm | undefined): Promise<void> {
  if (vm === undefined || vm.process.exitCode !== null || vm.process.signalCode !== null) return;
  process.kill(vm.pid, 'SIGKILL');
  await vm.exited;
}

/**
 * A line-oriented JSON conversation on a UNIX socket (QMP and the guest agent speak one JSON
 * object per line). `send` writes a command and resolves with the first reply `match` accepts.
 */
export async function jsonSocket(file: string) {
  const socket = net.connect(file);
  await once(socket, 'connect');
  let buffer = '';
  const lines: unknown[] = [];
  const waiters: (() => void)[] = [];
  socket.on('data', (d: Buffer) => {
    // guest-sync-delimited's reply is preceded by a 0xFF byte that resets the parser.
    buffer += d.toString('latin1').replace(/\xff/g, '\n');
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line !== '') lines.push(JSON.parse(Buffer.from(line, 'latin1').toString('utf8')));
    }
    for (const w of waiters.splice(0)) w();
  });
  const next = async (match: (msg: Record<string, unknown>) => boolean, timeoutMs = 30_000) => {
    for (const deadline = Date.now() + timeoutMs; ;) {
      const i = lines.findIndex((l) => match(l as Record<string, unknown>));
      if (i >= 0) return lines.splice(i, 1)[0] as Record<string, unknown>;
      if (Date.now() > deadline) throw new Error(`no reply on ${file}: ${JSON.stringify(lines)}`);
      await Promise.race([
        new Promise<void>((r) => waiters.push(r)),
        new Promise((r) => setTimeout(r, 200)),
      ]);
    }
  };
  return {
    next,
    /** Writes a command whose reply is not awaited (guest-shutdown sends none when it works). */
    write: (command: object) => socket.write(JSON.stringify(command) + '\n'),
    send: (command: object, match: (msg: Record<string, unknown>) => boolean) => {
      socket.write(JSON.stringify(command) + '\n');
      return next(match);
    },
    close: () => socket.destroy(),
  };
}
