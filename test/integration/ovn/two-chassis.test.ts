// Two hosts on one machine: the OVN's own chassis and a second one started by upChassis, each
// with its own Open vSwitch (userspace datapath) and ovn-controller in a network namespace of
// its own, joined by Geneve tunnels over a veth underlay. A guest on each chassis reaches the
// other across the tunnel, on one logical switch and through a logical router.
import { mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isOurs, repoRoot } from '../../../hack/cluster/index.ts';
import {
  appctl,
  down,
  downChassis,
  guestLinks,
  hubAddress,
  nbctl,
  ovnLayout,
  readState,
  sbctl,
  startGuest,
  underlayBridge,
  underlayLinks,
  upChassis,
  up,
  vsctl,
  type Chassis,
  type CtlResult,
  type Guest,
  type OvnLayout,
} from '../../../hack/ovn/index.ts';
import { waitFor } from '../../harness/index.ts';
import { startTcpServer, tcpRequest } from '../vpc/dataplane-fixture.ts';

const hv1 = 'kcloud-2c-hv1';
const hv2 = 'kcloud-2c-hv2';
let runDir = '';
let second: Chassis | undefined;
const guests: Guest[] = [];
const layout = (): OvnLayout => ovnLayout(runDir);
const chassis2 = (): Chassis => {
  if (!second) throw new Error('the second chassis has not started');
  return second;
};

function ok(r: CtlResult): string {
  if (r.code !== 0) throw new Error(`exit ${String(r.code)}: ${r.stderr}`);
  return r.stdout.trim();
}

const nb = async (args: string[]) => ok(await nbctl(layout(), args));
const sb = async (args: string[]) => ok(await sbctl(layout(), args));

beforeAll(async () => {
  const base = path.join(repoRoot, '.local', 'test-runs');
  await mkdir(base, { recursive: true });
  runDir = await mkdtemp(path.join(base, 'ovn-2c-'));
  await up(layout(), { dataPlane: true, chassis: hv1 });
  const began = Date.now();
  second = await upChassis(layout(), { name: hv2 });
  console.log(`second chassis up in ${String(Date.now() - began)} ms`);
});

afterAll(async () => {
  for (const g of guests.splice(0)) await g.close();
  // Takes the second chassis down first.
  if (runDir) await down(layout(), { purge: true });
});

/** The geneve interfaces of a chassis' br-int, with their remote endpoint. */
async function tunnels(l: OvnLayout): Promise<{ name: string; remote: string }[]> {
  const rows = ok(
    await vsctl(l, ['--format=json', '--columns=name,options', 'find', 'Interface', 'type=geneve']),
  );
  const data = (JSON.parse(rows) as { data: [string, ['map', [string, string][]]][] }).data;
  const found: { name: string; remote: string }[] = [];
  for (const [name, [, options]] of data) {
    const bridge = ok(await vsctl(l, ['port-to-br', name]));
    const remote = options.find(([k]) => k === 'remote_ip')?.[1];
    if (bridge === 'br-int' && remote !== undefined) found.push({ name, remote });
  }
  return found;
}

/**
 * Packets through the hub's end of the underlay link, read live from the datapath. (The
 * geneve port's own counters are kept in the database, refreshed only every 5 s; the
 * datapath counts tunnel packets on the port they leave and enter by.)
 */
async function underlayPackets(): Promise<{ rx: number; tx: number }> {
  const l = layout();
  const shown = ok(await appctl(l, l.vswitchdCtl, ['dpctl/show', '-s']));
  const port = underlayLinks(hv2).hub;
  const block = new RegExp(
    `port \\d+: ${port}\\n\\s+RX packets:(\\d+).*\\n\\s+TX packets:(\\d+)`,
  ).exec(shown);
  if (!block) throw new Error(`no ${port} in the datapath of ${l.runDir}:\n${shown}`);
  return { rx: Number(block[1]), tx: Number(block[2]) };
}

/** The name of the chassis the logical port is bound to; '' while unbound. */
async function boundTo(port: string): Promise<string> {
  const uuid = await sb([
    '--bare',
    '--columns=chassis',
    'find',
    'Port_Binding',
    `logical_port=${port}`,
  ]);
  return uuid ? sb(['--bare', '--columns=name', 'list', 'Chassis', uuid]) : '';
}

/** Waits until the logical port is bound to `chassis`, up, and its flows are installed. */
async function waitBound(l: OvnLayout, port: string, ovsPort: string, chassis: string) {
  await waitFor(
    async () => {
      const bound = await boundTo(port);
      const isUp = await nb(['get', 'Logical_Switch_Port', port, 'up']);
      const installed = await vsctl(l, [
        '--if-exists',
        'get',
        'Interface',
        ovsPort,
        'external_ids:ovn-installed',
      ]);
      return bound === chassis && isUp === 'true' && installed.stdout.trim() === '"true"';
    },
    {
      what: `${port} bound to ${chassis}, up, with its flows installed`,
      describe: async () => sb(['find', 'Port_Binding', `logical_port=${port}`]),
    },
  );
}

async function guest(
  name: string,
  port: string,
  mac: string,
  address: string,
  gateway: string,
  on?: Chassis,
): Promise<Guest> {
  const g = await startGuest(layout(), {
    name,
    ifaceId: port,
    mac,
    address,
    gateway,
    ...(on ? { chassis: on } : {}),
  });
  guests.push(g);
  await waitBound(on?.layout ?? layout(), port, guestLinks(name).port, on?.name ?? hv1);
  return g;
}

async function lsp(sw: string, port: string, mac: string, ip: string): Promise<void> {
  await nb(['lsp-add', sw, port, '--', 'lsp-set-addresses', port, `${mac} ${ip}`]);
}

/** The ping's summary; exit 0 means at least one reply. */
function ping(from: Guest, ip: string, extra: string[] = [], count = 1) {
  return from.exec(
    ['ping', '-n', '-q', '-c', String(count), '-i', '0.2', '-W', '2', ...extra, ip],
    { timeoutMs: 20_000 },
  );
}

/** Waits until one echo gets its reply: the first may go while OVS resolves the far endpoint. */
async function firstReply(from: Guest, ip: string): Promise<number> {
  const began = Date.now();
  await waitFor(async () => (await ping(from, ip, ['-W', '1'])).code === 0, {
    what: `${from.name} to get a reply from ${ip}`,
    timeoutMs: 30_000,
  });
  return Date.now() - began;
}

describe('two chassis joined by Geneve', () => {
  it('registers the second chassis with its own endpoint on the underlay', async () => {
    const c = chassis2();
    expect(c.address).toBe('172.31.255.2');
    expect(c.layout.runDir).not.toBe(layout().runDir);
    expect(c.layout.sb.socket).toBe(layout().sb.socket);
    const names = (await sb(['--bare', '--columns=name', 'list', 'Chassis'])).split(/\s+/).sort();
    expect(names).toEqual([hv1, hv2]);
    const encap = async (ch: string) =>
      sb(['--bare', '--columns=type,ip', 'find', 'Encap', `chassis_name=${ch}`]);
    expect((await encap(hv1)).split(/\s+/)).toEqual(['geneve', hubAddress]);
    expect((await encap(hv2)).split(/\s+/)).toEqual(['geneve', c.address]);
    // Each ovs-vswitchd runs in a namespace of its own, the underlay bridge in each.
    const vswitchd = (await readState(c.layout))?.processes.find((p) => p.name === 'ovs-vswitchd');
    expect(c.netns).toBe(`/proc/${String(vswitchd?.pid)}/ns/net`);
    expect(ok(await vsctl(c.layout, ['br-exists', underlayBridge]))).toBe('');
    expect(ok(await vsctl(layout(), ['br-exists', underlayBridge]))).toBe('');
    // Each side knows the other's endpoint before any packet: the first is not lost to ARP.
    const neighbour = async (l: OvnLayout, ip: string) =>
      new RegExp(`^${ip.replaceAll('.', '\\.')}\\s+[0-9a-f:]{17}\\s+${underlayBridge}$`, 'm').test(
        ok(await appctl(l, l.vswitchdCtl, ['tnl/neigh/show'])),
      );
    expect(await neighbour(layout(), c.address)).toBe(true);
    expect(await neighbour(c.layout, hubAddress)).toBe(true);
  });

  it('has a Geneve tunnel port in each br-int, to the other chassis', async () => {
    const [mine, theirs] = await waitFor(
      async () => {
        const pair = [await tunnels(layout()), await tunnels(chassis2().layout)] as const;
        return pair[0].length === 1 && pair[1].length === 1 && pair;
      },
      {
        what: 'one geneve port in each br-int',
        describe: async () =>
          JSON.stringify([await tunnels(layout()), await tunnels(chassis2().layout)]),
      },
    );
    expect(mine[0]?.remote).toBe(chassis2().address);
    expect(theirs[0]?.remote).toBe(hubAddress);
  });

  it('a second upChassis starts nothing and keeps the processes', async () => {
    const again = await upChassis(layout(), { name: hv2 });
    expect(again.started).toBe(false);
    expect(again.processes).toEqual(chassis2().processes);
    expect(again.address).toBe(chassis2().address);
    await expect(upChassis(layout(), { name: hv1 })).rejects.toThrow(/the OVN's own chassis/);
    await expect(
      upChassis(layout(), { name: 'kcloud-2c-hv3', address: chassis2().address }),
    ).rejects.toThrow(/is chassis kcloud-2c-hv2's: give another/);
  });

  let a: Guest;

  it('carries a logical switch across the tunnel: a guest on each chassis pings the other', async () => {
    await nb(['ls-add', 'sw0']);
    await lsp('sw0', 'sw0-a', '0a:00:00:99:00:01', '10.99.0.1');
    await lsp('sw0', 'sw0-b', '0a:00:00:99:00:02', '10.99.0.2');
    a = await guest('tc2-a', 'sw0-a', '0a:00:00:99:00:01', '10.99.0.1/24', '10.99.0.254');
    const b = await guest(
      'tc2-b',
      'sw0-b',
      '0a:00:00:99:00:02',
      '10.99.0.2/24',
      '10.99.0.254',
      chassis2(),
    );
    expect(await boundTo('sw0-a')).toBe(hv1);
    expect(await boundTo('sw0-b')).toBe(hv2);

    const firstMs = await firstReply(a, '10.99.0.2');
    console.log(`first reply across the tunnel ${String(firstMs)} ms after both ports were bound`);
    const before = await underlayPackets();
    expect((await ping(a, '10.99.0.2', [], 5)).stdout).toMatch(/5 packets transmitted, 5 received/);
    // The echoes went out and the replies came in over the underlay.
    const after = await underlayPackets();
    expect(after.tx - before.tx).toBeGreaterThanOrEqual(5);
    expect(after.rx - before.rx).toBeGreaterThanOrEqual(5);
    expect((await ping(b, '10.99.0.1', [], 5)).stdout).toMatch(/5 packets transmitted, 5 received/);
    // TCP too: the checksums survive the userspace datapath's encapsulation.
    await startTcpServer(b, 8080, 'hello from hv2');
    expect(await tcpRequest(a, '10.99.0.2', 8080, 5_000)).toBe('hello from hv2');
    // A full 1500-byte packet fits, Geneve's header around it included.
    const full = await ping(a, '10.99.0.2', ['-M', 'do', '-s', '1472'], 3);
    expect(full.stdout).toMatch(/3 packets transmitted, 3 received/);
  });

  it('routes across the tunnel: a logical router between two switches, one on each chassis', async () => {
    await nb(['ls-add', 'sw1']);
    await nb(['lr-add', 'lr0']);
    for (const [sw, mac, cidr] of [
      ['sw0', '02:00:00:99:00:fe', '10.99.0.254/24'],
      ['sw1', '02:00:00:99:01:fe', '10.99.1.254/24'],
    ] as const) {
      await nb(['lrp-add', 'lr0', `lr0-${sw}`, mac, cidr]);
      await nb([
        'lsp-add',
        sw,
        `${sw}-lr0`,
        '--',
        'lsp-set-type',
        `${sw}-lr0`,
        'router',
        '--',
        'lsp-set-addresses',
        `${sw}-lr0`,
        'router',
        '--',
        'lsp-set-options',
        `${sw}-lr0`,
        `router-port=lr0-${sw}`,
      ]);
    }
    await lsp('sw1', 'sw1-c', '0a:00:00:99:01:03', '10.99.1.3');
    const c = await guest(
      'tc2-c',
      'sw1-c',
      '0a:00:00:99:01:03',
      '10.99.1.3/24',
      '10.99.1.254',
      chassis2(),
    );
    await firstReply(a, '10.99.1.3');
    expect((await ping(a, '10.99.1.3', [], 3)).stdout).toMatch(/3 packets transmitted, 3 received/);
    expect((await ping(c, '10.99.0.1', [], 3)).stdout).toMatch(/3 packets transmitted, 3 received/);
    // TTL 64 on the way out, one router hop: the reply was routed, not switched.
    expect((await c.exec(['ping', '-n', '-c', '1', '-W', '2', '10.99.0.1'])).stdout).toMatch(
      /ttl=63/,
    );
  });

  /** SIGKILLs a chassis' ovs-vswitchd: its namespace, and every device in it, go with it. */
  async function killVswitchd(l: OvnLayout): Promise<void> {
    const proc = (await readState(l))?.processes.find((p) => p.name === 'ovs-vswitchd');
    if (!proc) throw new Error(`no ovs-vswitchd recorded in ${l.runDir}`);
    process.kill(proc.pid, 'SIGKILL');
    await waitFor(() => !isOurs(proc), { what: `ovs-vswitchd ${String(proc.pid)} to exit` });
  }

  it('links a chassis whose ovs-vswitchd was restarted to the underlay again', async () => {
    await lsp('sw0', 'sw0-d', '0a:00:00:99:00:04', '10.99.0.4');
    await lsp('sw0', 'sw0-e', '0a:00:00:99:00:05', '10.99.0.5');

    // The second chassis: its next upChassis restarts it and makes its link again.
    await killVswitchd(chassis2().layout);
    const restarted = await upChassis(layout(), { name: hv2 });
    expect(restarted.started).toBe(true);
    expect(restarted.netns).not.toBe(chassis2().netns);
    second = restarted;
    const d = await guest(
      'tc2-d',
      'sw0-d',
      '0a:00:00:99:00:04',
      '10.99.0.4/24',
      '10.99.0.254',
      second,
    );
    await firstReply(a, '10.99.0.4');

    // The hub: `up` restarts it, and links every running chassis again.
    await killVswitchd(layout());
    const info = await up(layout());
    expect(info.processes.map((p) => p.name)).toContain('ovs-vswitchd');
    const e = await guest('tc2-e', 'sw0-e', '0a:00:00:99:00:05', '10.99.0.5/24', '10.99.0.254');
    await firstReply(e, '10.99.0.4');
    expect((await ping(d, '10.99.0.5', [], 3)).stdout).toMatch(/3 packets transmitted, 3 received/);
  });

  it('downChassis takes the second chassis away: its record, the tunnel to it, its link', async () => {
    // Their ports are in the second chassis' br-int.
    for (const g of guests.splice(0)) await g.close();
    const c = chassis2();
    await downChassis(layout(), c);
    for (const p of c.processes) expect(isOurs(p)).toBe(false);
    expect(await sb(['--bare', '--columns=name', 'list', 'Chassis'])).toBe(hv1);
    await waitFor(async () => (await tunnels(layout())).length === 0, {
      what: 'the hub to drop its tunnel to the second chassis',
    });
    expect(ok(await vsctl(layout(), ['list-ports', underlayBridge]))).toBe('');
  });
});
