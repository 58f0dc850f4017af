// The demo guest (hack/guest.sh build) booted from its own disk by a bare QEMU under TCG, with a
// NoCloud seed made by the ECS seed writer: it takes its address by DHCP, applies the seed's
// hostname, SSH key, password and user-data, answers HTTP, SSH and the guest agent, prints its
// ready line on the serial console, reboots, and powers off on the ACPI power button.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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

async function ssh(vm: GuestVm, command: string) {
  const { stdout } = await exec(
    'ssh',
    [
      '-i',
      path.join(dir, 'id'),
      '-p',
      String(vm.sshPort),
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
      'root@127.0.0.1',
      command,
    ],
    { timeout: 120_000 },
  );
  return stdout;
}

async function boot(name: string, seed: Parameters<typeof writeSeed>[1]) {
  const seedFile = path.join(dir, `${name}.seed.img`);
  await writeSeed(seedFile, seed);
  const vm = await startGuest({ dir, image: guest.image, seed: seedFile, name });
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

  it("lets the seed's SSH key in, shows runcmd's effect, and set the seed's password", async () => {
    expect(await ssh(vm, 'cat /root/runcmd-proof; hostname')).toBe(
      'runcmd ran as root\ndemo-guest-1\n',
    );
    const hash = (await ssh(vm, 'grep ^root: /etc/shadow')).split(':')[1] ?? '';
    expect(hash).toMatch(/^\$6\$/);
    const salt = hash.split('$')[2] ?? '';
    const { stdout } = await exec('openssl', ['passwd', '-6', '-salt', salt, 'pa ss:wörd']);
    expect(stdout.trim()).toBe(hash);
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

  it('runs the QEMU guest agent on org.qemu.guest_agent.0', async () => {
    const qga = await jsonSocket(vm.qga);
    try {
      const id = 4242;
      const sync = await qga.send(
        { execute: 'guest-sync-delimited', arguments: { id } },
        (m) => m.return === id,
      );
      expect(sync).toEqual({ return: id });
      expect(
        await qga.send({ execute: 'guest-ping' }, (m) => 'return' in m || 'error' in m),
      ).toEqual({
        return: {},
      });
      expect(
        await qga.send({ execute: 'guest-get-host-name' }, (m) => 'return' in m || 'error' in m),
      ).toEqual({ return: { 'host-name': 'demo-guest-1' } });
    } finally {
      qga.close();
    }
  });

  it('reboots and comes back ready', async () => {
    // The connection may drop before ssh hears the command end.
    await ssh(vm, 'reboot').catch(() => undefined);
    expect(await waitReady(vm, 2)).toBe('kcloud-guest: ready hostname=demo-guest-1 ip=10.0.2.15');
    expect(vm.process.exitCode).toBeNull();
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

  it('runs a user-data script given beside the platform part', async () => {
    const script = await boot('script', {
      instanceId: 'uid-script',
      hostname: 'demo-guest-2',
      sshAuthorizedKeys: [pubKey],
      userData: '#!/bin/sh\necho "script ran: $0" > /srv/www/script.txt\n',
    });
    expect(await waitReady(script)).toBe('kcloud-guest: ready hostname=demo-guest-2 ip=10.0.2.15');
    const res = await fetch(`http://127.0.0.1:${String(script.httpPort)}/script.txt`);
    expect(await res.text()).toMatch(/^script ran: \/run\/kcloud\/user-data\/01\n$/);
    expect(await ssh(script, 'cat /root/.ssh/authorized_keys')).toBe(`${pubKey}\n`);
    await stopGuest(script);
  });
});
