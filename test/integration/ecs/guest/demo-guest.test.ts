// The demo guest (hack/guest.sh build) booted from its own disk by a bare QEMU under TCG, with a
// NoCloud seed made by the ECS seed writer: it takes its address by DHCP, applies the seed's
// hostname, SSH key, password and user-data, answers HTTP, SSH and the guest agent, prints its
// ready line on the serial console, reboots, and powers off on the ACPI power button. On a tap
// in a network namespace, it takes a real DHCP server's lease (MTU included) and answers ping.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { guestDir, readDemoGuest, type DemoGuest } from '../../../../hack/guest/index.ts';
import { writeSeed } from '../../../../operators/ecs/backend/seed/index.ts';
import {
  consoleText,
  jsonSocket,
  startGuest,
  stopGuest,
  waitReady,
  type GuestNetwork,
  type GuestVm,
} from './guest-vm.ts';

const exec = promisify(execFile);

let dir: string;
let guest: DemoGuest;
let pubKey: string;
const vms: GuestVm[] = [];

beforeAll(async () => {
  guest = await readDemoGuest(guestDir());
  dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-demo-guest-'));
  await exec('ssh-keygen', [
    '-q',
    '-t',
    'ed25519',
    '-N',
    '',
    '-C',
    'test: key',
    '-f',
    path.join(dir, 'id'),
  ]);
  pubKey = (await readFile(path.join(dir, 'id.pub'), 'utf8')).trim();
});

afterAll(async () => {
  for (const vm of vms) await stopGuest(vm);
  await rm(dir, { recursive: true, force: true });
});

/** SSH as root with the test's key: to the forwarded port, or into the namespace of a tap. */
async function ssh(to: GuestVm | { netns: string; address: string }, command: string) {
  const target =
    'netns' in to
      ? { prefix: ['ip', 'netns', 'exec', to.netns], host: to.address, port: 22 }
      : { prefix: [], host: '127.0.0.1', port: to.sshPort };
  const [file, ...prefixArgs] = [...target.prefix, 'ssh'];
  const { stdout } = await exec(
    file,
    [
      ...prefixArgs,
      '-i',
      path.join(dir, 'id'),
      '-p',
      String(target.port),
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=60',
      '-o',
      'LogLevel=ERROR',
      `root@${target.host}`,
      command,
    ],
    { timeout: 120_000 },
  );
  return stdout;
}

/** Whether root's hash in the guest's /etc/shadow is that of `password` (SHA-512 crypt). */
async function passwordMatches(vm: GuestVm, password: string): Promise<boolean> {
  const hash = (await ssh(vm, 'grep ^root: /etc/shadow')).split(':')[1] ?? '';
  if (!hash.startsWith('$6$')) throw new Error(`root's password is not a SHA-512 hash: ${hash}`);
  const salt = hash.split('$')[2] ?? '';
  const { stdout } = await exec('openssl', ['passwd', '-6', '-salt', salt, password]);
  return stdout.trim() === hash;
}

async function boot(name: string, seed: Parameters<typeof writeSeed>[1], network?: GuestNetwork) {
  const seedFile = path.join(dir, `${name}.seed.img`);
  await writeSeed(seedFile, seed);
  const vm = await startGuest({
    dir,
    image: guest.image,
    seed: seedFile,
    name,
    ...(network ? { network } : {}),
  });
  vms.push(vm);
  return vm;
}

async function waitExit(vm: GuestVm, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      vm.exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`QEMU still runs after ${String(ms)} ms:\n${consoleText(vm)}`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the demo guest', () => {
  let vm: GuestVm;

  it('boots from its disk, applies the seed and DHCP, and prints the ready line', async () => {
    vm = await boot('cfg', {
      instanceId: 'uid-cfg',
      hostname: 'demo-guest-1',
      sshAuthorizedKeys: [pubKey],
      password: 'pa ss:wörd',
      userData: [
        '#cloud-config',
        'runcmd:',
        '  - echo "runcmd ran as $(id -un)" > /root/runcmd-proof',
        '  - [ sh, -c, "hostname > /srv/www/name.txt" ]',
        '',
      ].join('\n'),
    });
    const line = await waitReady(vm);
    // QEMU's user-mode network gives the first guest 10.0.2.15 by DHCP.
    expect(line).toBe('kcloud-guest: ready hostname=demo-guest-1 ip=10.0.2.15');
    process.stderr.write(
      `demo guest: QEMU start to ready line ${String(Date.now() - vm.startedAt)} ms\n`,
    );
  });

  it('serves HTTP on port 80 whose first line names the host', async () => {
    const res = await fetch(`http://127.0.0.1:${String(vm.httpPort)}/`);
    expect(res.status).toBe(200);
    expect((await res.text()).split('\n')[0]).toBe('kcloud-guest demo-guest-1');
    // The list form of a runcmd entry ran too.
    const name = await fetch(`http://127.0.0.1:${String(vm.httpPort)}/name.txt`);
    expect(await name.text()).toBe('demo-guest-1\n');
  });

  it("lets the seed's SSH key in, shows runcmd's effect, and has the seed's password", async () => {
    expect(await ssh(vm, 'cat /root/runcmd-proof; hostname')).toBe(
      'runcmd ran as root\ndemo-guest-1\n',
    );
    expect(await passwordMatches(vm, 'pa ss:wörd')).toBe(true);
    expect(await passwordMatches(vm, 'something else')).toBe(false);
    expect(await ssh(vm, 'ip -4 addr show eth0')).toContain('inet 10.0.2.15/24');
  });

  it('applies the router, DNS servers, MTU and classless routes of a lease', async () => {
    // QEMU's DHCP server with restrict=on offers no router or DNS server and no server here
    // offers an MTU: the guest's udhcpc event script is run with a lease such as OVN gives.
    const lease = [
      'interface=eth0',
      'ip=10.0.2.15',
      'subnet=255.255.255.0',
      'router=10.0.2.2',
      "dns='10.0.2.3 10.0.2.4'",
      'mtu=1442',
    ].join(' ');
    const out = await ssh(
      vm,
      `env -i ${lease} /etc/kcloud/dhcp-event bound && ip link show eth0 && ip route && cat /etc/resolv.conf && ` +
        `env -i ${lease} staticroutes='192.168.7.0/24 10.0.2.9 0.0.0.0/0 10.0.2.1' /etc/kcloud/dhcp-event renew && ip route`,
    );
    expect(out).toContain('mtu 1442');
    expect(out).toContain('default via 10.0.2.2 dev eth0  metric 102');
    expect(out).toContain('nameserver 10.0.2.3\nnameserver 10.0.2.4\n');
    // Option 121, when given, replaces the router option (RFC 3442).
    expect(out).toContain('192.168.7.0/24 via 10.0.2.9 dev eth0  metric 102');
    expect(out).toContain('default via 10.0.2.1 dev eth0  metric 102');
    expect(await ssh(vm, 'ip -4 addr show eth0')).toContain('inet 10.0.2.15/24');
  });

  it('takes a lease on a NIC plugged in while it runs', async () => {
    const qmp = await jsonSocket(vm.qmp);
    const reply = (m: Record<string, unknown>) => 'return' in m || 'error' in m;
    try {
      await qmp.next((m) => 'QMP' in m);
      await qmp.send({ execute: 'qmp_capabilities' }, reply);
      expect(
        await qmp.send(
          {
            execute: 'netdev_add',
            arguments: { type: 'user', id: 'n1', net: '10.0.3.0/24', restrict: true },
          },
          reply,
        ),
      ).toEqual({ return: {} });
      expect(
        await qmp.send(
          {
            execute: 'device_add',
            arguments: { driver: 'virtio-net-pci', id: 'nic1', netdev: 'n1', bus: 'hotplug0' },
          },
          reply,
        ),
      ).toEqual({ return: {} });
    } finally {
      qmp.close();
    }
    let lease = '';
    for (const deadline = Date.now() + 120_000; lease !== '10.0.3.15\n' && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 1000));
      lease = await ssh(vm, 'cat /run/kcloud/ip-eth1 2>/dev/null || true');
    }
    expect(lease).toBe('10.0.3.15\n');
    expect(await ssh(vm, 'ip -4 addr show eth1')).toContain('inet 10.0.3.15/24');
  });

  it('runs the QEMU guest agent on org.qemu.guest_agent.0, which sets passwords and reboots', async () => {
    const qga = await jsonSocket(vm.qga);
    const reply = (m: Record<string, unknown>) => 'return' in m || 'error' in m;
    try {
      const id = 4242;
      const sync = await qga.send(
        { execute: 'guest-sync-delimited', arguments: { id } },
        (m) => m.return === id,
      );
      expect(sync).toEqual({ return: id });
      expect(await qga.send({ execute: 'guest-ping' }, reply)).toEqual({ return: {} });
      expect(await qga.send({ execute: 'guest-get-host-name' }, reply)).toEqual({
        return: { 'host-name': 'demo-guest-1' },
      });
      const password = 'n3w pässword';
      expect(
        await qga.send(
          {
            execute: 'guest-set-user-password',
            arguments: {
              username: 'root',
              password: Buffer.from(password).toString('base64'),
              crypted: false,
            },
          },
          reply,
        ),
      ).toEqual({ return: {} });
      expect(await passwordMatches(vm, password)).toBe(true);
      // guest-shutdown answers nothing when it works: the guest goes down and comes back.
      qga.write({ execute: 'guest-shutdown', arguments: { mode: 'reboot' } });
      expect(await waitReady(vm, 2)).toBe('kcloud-guest: ready hostname=demo-guest-1 ip=10.0.2.15');
      expect(vm.process.exitCode).toBeNull();
      // A new boot applies the seed's password again.
      expect(await passwordMatches(vm, 'pa ss:wörd')).toBe(true);
    } finally {
      qga.close();
    }
  });

  it('powers off cleanly on the ACPI power button, and QEMU exits by itself', async () => {
    const qmp = await jsonSocket(vm.qmp);
    try {
      await qmp.next((m) => 'QMP' in m);
      await qmp.send({ execute: 'qmp_capabilities' }, (m) => 'return' in m);
      await qmp.send({ execute: 'system_powerdown' }, (m) => 'return' in m);
    } finally {
      qmp.close();
    }
    expect(await waitExit(vm, 120_000)).toEqual({ code: 0, signal: null });
    expect(consoleText(vm)).toContain('kcloud-guest: stopping');
  });
});

describe('the demo guest on a tap in a network namespace with a DHCP server', () => {
  const netns = `kcloud-guest-${String(process.pid)}`;
  let dhcpd: ChildProcess | undefined;
  let vm: GuestVm;
  const address = '192.168.77.10';
  const inNetns = (cmd: string[]) =>
    exec('ip', ['netns', 'exec', netns, ...cmd], { timeout: 60_000 });

  beforeAll(async () => {
    await exec('ip', ['netns', 'add', netns]);
    await inNetns(['ip', 'link', 'set', 'lo', 'up']);
    await inNetns(['ip', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap']);
    await inNetns(['ip', 'addr', 'add', '192.168.77.1/24', 'dev', 'tap0']);
    await inNetns(['ip', 'link', 'set', 'tap0', 'up']);
    // busybox's DHCP server, with the options OVN's DHCP gives a VPC port (MTU 1442 for Geneve).
    const conf = path.join(dir, 'udhcpd.conf');
    await writeFile(
      conf,
      [
        `start ${address}`,
        `end ${address}`,
        'interface tap0',
        `lease_file ${path.join(dir, 'udhcpd.leases')}`,
        `pidfile ${path.join(dir, 'udhcpd.pid')}`,
        'option subnet 255.255.255.0',
        'option router 192.168.77.1',
        'option dns 192.168.77.53',
        'option mtu 1442',
        'option lease 3600',
        '',
      ].join('\n'),
    );
    dhcpd = spawn('ip', ['netns', 'exec', netns, 'busybox', 'udhcpd', '-f', conf], {
      stdio: 'ignore',
    });
  });

  afterAll(async () => {
    await stopGuest(vm);
    if (dhcpd?.pid !== undefined && dhcpd.exitCode === null) {
      process.kill(dhcpd.pid, 'SIGKILL');
      await once(dhcpd, 'exit');
    }
    await exec('ip', ['netns', 'del', netns]).catch(() => undefined);
  });

  it("takes the server's address, router, DNS server and MTU, answers ping, and runs a user-data script", async () => {
    vm = await boot(
      'tap',
      {
        instanceId: 'uid-tap',
        hostname: 'demo-guest-2',
        sshAuthorizedKeys: [pubKey],
        userData: '#!/bin/sh\necho "script ran: $0" > /srv/www/script.txt\n',
      },
      { kind: 'tap', netns, tap: 'tap0' },
    );
    expect(await waitReady(vm)).toBe(`kcloud-guest: ready hostname=demo-guest-2 ip=${address}`);
    await inNetns(['ping', '-c', '1', '-W', '5', address]);
    const to = { netns, address };
    const net = await ssh(to, 'ip link show eth0; ip route; cat /etc/resolv.conf');
    expect(net).toContain('mtu 1442');
    expect(net).toContain('default via 192.168.77.1 dev eth0');
    expect(net).toContain('nameserver 192.168.77.53');
    // The script, in a multipart beside the platform's keys, ran; the keys are root's.
    const { stdout } = await inNetns([
      'busybox',
      'wget',
      '-q',
      '-O',
      '-',
      `http://${address}/script.txt`,
    ]);
    expect(stdout).toBe('script ran: /run/kcloud/user-data/01\n');
    expect(await ssh(to, 'cat /root/.ssh/authorized_keys')).toBe(`${pubKey}\n`);
  });
});
