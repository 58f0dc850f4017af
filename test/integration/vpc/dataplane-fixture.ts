// The vpc operator on an OVN with its data plane (Open vSwitch, ovn-controller), and guests:
// network namespaces plugged into br-int as a NetworkInterface's port, to send real packets.
import type { ChildProcess } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import {
  down,
  guestLinks,
  nbctl,
  sbctl,
  startGuest,
  vsctl,
  type Guest,
  type OvnLayout,
} from '../../../hack/ovn/index.ts';
import { waitFor, type RunningManager, type TestCluster } from '../../harness/index.ts';
import { ref, startOperator, startOvnAndOperator } from './operator-fixture.ts';

export { apiVersion, doc, ref } from './operator-fixture.ts';

/** What a Ready NetworkInterface reports in its status. */
export interface NicInfo {
  name: string;
  portName: string;
  ipAddress: string;
  macAddress: string;
  gatewayIP: string;
  prefixLength: number;
}

export interface GuestFor {
  /** The guest's name (veth names); the NIC's name when left out. */
  name?: string;
  /** Send from this MAC instead of the NIC's. */
  mac?: string;
  /** Hold this address instead of the NIC's (same prefix). */
  ipAddress?: string;
  /** No address: the guest is to ask DHCP. */
  dhcp?: boolean;
  /** The NetworkInterface is another tenant's (see `tenant`); by default the test's. */
  cluster?: TestCluster;
}

export interface NicGuest extends Guest {
  readonly nic: NicInfo;
}

export interface DataPlaneFixture {
  layout(): OvnLayout;
  /** ovn-nbctl / ovn-sbctl against this test's databases; throw with stderr on failure. */
  nb(args: string[]): Promise<string>;
  sb(args: string[]): Promise<string>;
  /** Waits until the NetworkInterface is Ready and returns its status. */
  nic(name: string, of?: TestCluster): Promise<NicInfo>;
  /**
   * Another tenant on the same OVN: a second manager, scoped to that namespace as the first is
   * to the test's, each reading the other's VPCs and VPCPeerings; stopped after the file.
   */
  tenant(other: TestCluster): Promise<void>;
  /**
   * A guest plugged in as the NIC's port, configured with its MAC, address and gateway unless
   * told otherwise; returns once ovn-controller has bound the port and installed its flows.
   */
  guest(nicName: string, opts?: GuestFor): Promise<NicGuest>;
  /** Milliseconds from plugging to a bound, up port, per guest name. */
  readonly bindTimes: ReadonlyMap<string, number>;
}

const chassis = 'kcloud-dp-test';

/**
 * A real OVN with its data plane in a folder of the test's own and a manager running the vpc
 * operator on the test's namespace; after the file, every guest is closed (its processes
 * killed by PID), then the manager and OVN are stopped.
 */
export function useVpcDataPlane(
  cluster: TestCluster,
  opts: {
    /** Namespaces of the tenants `tenant` adds, known before the first manager starts. */
    peerNamespaces?: () => string[];
  } = {},
): DataPlaneFixture {
  let layout: OvnLayout | undefined;
  let running: RunningManager | undefined;
  const tenants: RunningManager[] = [];
  const guests: Guest[] = [];
  const bindTimes = new Map<string, number>();

  beforeAll(async () => {
    const peerNamespaces = opts.peerNamespaces?.();
    ({ layout, running } = await startOvnAndOperator(
      cluster,
      'ovn-dp-',
      { dataPlane: true, chassis },
      undefined,
      peerNamespaces ? { peerNamespaces } : {},
    ));
  });
  afterAll(async () => {
    const problems: unknown[] = [];
    const attempt = async (step: () => Promise<void>) => {
      try {
        await step();
      } catch (err) {
        problems.push(err);
      }
    };
    // Guests first: their ports are in br-int, which goes with OVN.
    for (const g of guests.splice(0)) await attempt(() => g.close());
    for (const t of tenants.splice(0)) await attempt(() => t.stop());
    await attempt(async () => running?.stop());
    if (layout) {
      const l = layout;
      await attempt(() => down(l, { purge: true }));
    }
    if (problems.length > 0) throw new AggregateError(problems, 'tearing the data plane down');
  });

  const current = () => {
    if (!layout) throw new Error('the OVN of this test has not started');
    return layout;
  };
  const ctl = (which: typeof nbctl) => async (args: string[]) => {
    const r = await which(current(), args);
    if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const nb = ctl(nbctl);
  const sb = ctl(sbctl);

  const nic = async (name: string, of = cluster): Promise<NicInfo> => {
    const o = await of.waitForCondition(ref('NetworkInterface', name), 'Ready');
    const s = o.status ?? {};
    const text = (key: string): string => {
      const v = s[key];
      if (typeof v !== 'string' || v === '') {
        throw new Error(`NetworkInterface ${name} is Ready without status.${key}`);
      }
      return v;
    };
    return {
      name,
      portName: text('portName'),
      ipAddress: text('ipAddress'),
      macAddress: text('macAddress'),
      gatewayIP: text('gatewayIP'),
      prefixLength: Number(s.prefixLength),
    };
  };

  /**
   * Bound to this chassis by ovn-controller, `up`, and this very interface marked as having its
   * flows installed: after another guest of the same NIC, the port's binding alone may be the
   * previous guest's.
   */
  const waitBound = (port: string, ovsPort: string) =>
    waitFor(
      async () => {
        const bound = (
          await sb(['--bare', '--columns=chassis', 'find', 'Port_Binding', `logical_port=${port}`])
        ).trim();
        const isUp = (await nb(['get', 'Logical_Switch_Port', port, 'up'])).trim();
        const installed = await vsctl(current(), [
          '--if-exists',
          'get',
          'Interface',
          ovsPort,
          'external_ids:ovn-installed',
        ]);
        return bound !== '' && isUp === 'true' && installed.stdout.trim() === '"true"';
      },
      {
        what: `ovn-controller to bind ${port} to ${ovsPort} and report it up`,
        describe: async () =>
          (await sb(['find', 'Port_Binding', `logical_port=${port}`])) +
          (await nb(['list', 'Logical_Switch_Port', port])) +
          (await vsctl(current(), ['list', 'Interface', ovsPort])).stdout,
      },
    );

  const guest = async (nicName: string, opts: GuestFor = {}): Promise<NicGuest> => {
    const info = await nic(nicName, opts.cluster);
    const name = opts.name ?? nicName;
    const started = Date.now();
    const g = await startGuest(current(), {
      name,
      ifaceId: info.portName,
      mac: opts.mac ?? info.macAddress,
      ...(opts.dhcp
        ? {}
        : {
            address: `${opts.ipAddress ?? info.ipAddress}/${String(info.prefixLength)}`,
            gateway: info.gatewayIP,
          }),
    });
    guests.push(g);
    await waitBound(info.portName, guestLinks(name).port);
    bindTimes.set(name, Date.now() - started);
    return Object.assign(g, { nic: info });
  };

  const tenant = async (other: TestCluster) => {
    tenants.push(
      await startOperator(current(), other.namespace, { peerNamespaces: [cluster.namespace] }),
    );
  };

  return { layout: current, nb, sb, nic, guest, tenant, bindTimes };
}

/** True when one echo request gets its reply within a second. */
export async function ping(from: Guest, ip: string): Promise<boolean> {
  const r = await from.exec(['ping', '-n', '-q', '-c', '1', '-W', '1', ip], { timeoutMs: 10_000 });
  return r.code === 0;
}

/** Answers every TCP connection on `port` with `reply` and a newline. */
const tcpServerScript = `
const [port, reply] = process.argv.slice(1);
require('node:net')
  .createServer((s) => { s.on('error', () => {}); s.end(reply + '\\n'); })
  .listen(Number(port), '0.0.0.0', () => console.log('listening'));
`;

/** Connects, prints what the server sends until it closes; exit 2 on error, 3 on silence. */
const tcpClientScript = `
const [host, port, ms] = process.argv.slice(1);
const s = require('node:net').connect({ host, port: Number(port), timeout: Number(ms) });
let out = '';
s.on('data', (d) => (out += d));
s.on('end', () => { process.stdout.write(out); process.exit(0); });
s.on('timeout', () => { console.error('no answer within ' + ms + ' ms'); process.exit(3); });
s.on('error', (e) => { console.error(e.message); process.exit(2); });
`;

/** Prints one line per datagram: the sender's address, a space, the payload. */
const udpListenerScript = `
const [port, family] = process.argv.slice(1);
const v6 = family === '6';
const d = require('node:dgram').createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6 });
d.on('message', (m, r) => console.log(r.address + ' ' + m.toString()));
d.bind(Number(port), v6 ? '::' : '0.0.0.0', () => console.log('listening'));
`;

/** Sends \`count\` datagrams, 50 ms apart; an IPv6 host may carry a scope (fe80::1%eth0). */
const udpSenderScript = `
const [host, port, text, count] = process.argv.slice(1);
const d = require('node:dgram').createSocket(host.includes(':') ? 'udp6' : 'udp4');
d.on('error', () => {});
let sent = 0;
const t = setInterval(() => {
  d.send(text, Number(port), host, () => {});
  if (++sent >= Number(count)) { clearInterval(t); setTimeout(() => d.close(), 50); }
}, 50);
`;

/** Resolves once a script run in a guest prints `listening`; rejects if it exits first. */
export function untilListening(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('listening')) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      reject(new Error(`${what} exited (${String(code)}) before listening: ${err}`));
    });
  });
}

/** A TCP server in the guest answering `reply`; stopped when the guest closes. */
export async function startTcpServer(g: Guest, port: number, reply: string): Promise<void> {
  const child = g.spawn([process.execPath, '-e', tcpServerScript, String(port), reply]);
  await untilListening(child, `the TCP server in ${g.name}`);
}

/** What the server at ip:port answers, or undefined when no connection is made in time. */
export async function tcpRequest(
  from: Guest,
  ip: string,
  port: number,
  timeoutMs = 1_000,
): Promise<string | undefined> {
  const r = await from.exec(
    [process.execPath, '-e', tcpClientScript, ip, String(port), String(timeoutMs)],
    // Node's own start is slow on a busy machine; the client's timeout is what counts.
    { timeoutMs: timeoutMs + 15_000 },
  );
  return r.code === 0 ? r.stdout.trim() : undefined;
}

export interface UdpListener {
  /** Datagrams so far, as "sender-address payload". */
  received(): string[];
}

export async function startUdpListener(
  g: Guest,
  port: number,
  family: 4 | 6 = 4,
): Promise<UdpListener> {
  const child = g.spawn([process.execPath, '-e', udpListenerScript, String(port), String(family)]);
  const lines: string[] = [];
  let partial = '';
  child.stdout?.on('data', (b: Buffer) => {
    const parts = (partial + b.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts.filter((l) => l !== 'listening'));
  });
  await untilListening(child, `the UDP listener in ${g.name}`);
  return { received: () => [...lines] };
}

export async function sendUdp(
  from: Guest,
  ip: string,
  port: number,
  text: string,
  count = 5,
): Promise<void> {
  const r = await from.exec(
    [process.execPath, '-e', udpSenderScript, ip, String(port), text, String(count)],
    { timeoutMs: 20_000 },
  );
  if (r.code !== 0) throw new Error(`sending UDP from ${from.name}: ${r.stderr}`);
}

/** A fixed neighbour entry, so the guest sends to `ip` without asking ARP. */
export async function setNeighbour(g: Guest, ip: string, mac: string): Promise<void> {
  const r = await g.exec(['ip', 'neigh', 'replace', ip, 'lladdr', mac, 'dev', 'eth0']);
  if (r.code !== 0) throw new Error(`ip neigh in ${g.name}: ${r.stderr}`);
}

/** The guest's IPv6 link-local address on eth0, once duplicate address detection is over. */
export function linkLocal(g: Guest): Promise<string> {
  return waitFor(
    async () => {
      const r = await g.exec(['ip', '-6', '-o', 'address', 'show', 'dev', 'eth0', 'scope', 'link']);
      return !/tentative/.test(r.stdout) && /inet6 (fe80::[0-9a-f:]+)\//.exec(r.stdout)?.[1];
    },
    { what: `the link-local address of ${g.name}` },
  );
}

/**
 * udhcpc calls this with the lease in its environment: it only prints it, so nothing on the
 * machine (resolv.conf, routes) is touched.
 */
const leaseScript = `#!/bin/sh
[ "$1" = bound ] || exit 0
for v in ip subnet router mtu lease serverid dns; do eval "echo $v=\\$$v"; done
`;

/**
 * Asks DHCP on the guest's eth0, `discovers` times a second apart, and returns the lease's
 * options (ip, router, subnet, ...).
 */
export async function dhcpLease(
  g: Guest,
  scriptDir: string,
  discovers = 5,
): Promise<Record<string, string>> {
  const script = path.join(scriptDir, 'udhcpc-lease.sh');
  await writeFile(script, leaseScript);
  await chmod(script, 0o755);
  // -n: give up after the discovers; -q: exit once leased; -f: stay in the foreground.
  const r = await g.exec(
    [
      'busybox',
      'udhcpc',
      '-i',
      'eth0',
      '-f',
      '-q',
      '-n',
      '-t',
      String(discovers),
      '-T',
      '1',
      '-s',
      script,
    ],
    { timeoutMs: 30_000 },
  );
  if (r.code === 127 || /applet not found|No such file/.test(r.stderr)) {
    throw new Error(`busybox udhcpc is missing: run \`make setup\` (Debian package busybox)`);
  }
  if (r.code !== 0) throw new Error(`udhcpc in ${g.name} got no lease: ${r.stderr}`);
  return Object.fromEntries(
    r.stdout
      .split('\n')
      .map((l) => /^(\w+)=(.*)$/.exec(l))
      .filter((m) => m !== null)
      .map((m) => [m[1] ?? '', m[2] ?? '']),
  );
}
