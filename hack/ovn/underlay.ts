// The underlay between the chassis of one OVN: the network their Geneve tunnels ride on. Each
// chassis' ovs-vswitchd runs in a network namespace of its own, so the underlay is made of
// veth pairs between those namespaces, with addresses that exist nowhere else.
//
// With the userspace datapath, Open vSwitch sends and receives tunnel packets itself: the
// tunnel endpoint address (ovn-encap-ip) must be on the internal port of a bridge of that same
// ovs-vswitchd (br-ul here), the veth end must be a port of that bridge, and the route to the
// other endpoints is looked up in OVS's own route table, which it fills from the kernel routes
// of its namespace. The OVN's own chassis is the hub: its br-ul, an ordinary learning switch,
// has one veth to each extra chassis, so N chassis need no loop-free mesh and no extra process.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../controllers/clock/index.ts';
import { appctl, check, vsctl } from './ctl.ts';
import { execIn, tool } from './guest.ts';
import type { OvnLayout } from './layout.ts';

export const underlayBridge = 'br-ul';
/** Loopback-only: the addresses live in the chassis' namespaces and never leave the machine. */
export const underlayNet = { prefix: '172.31.255.', length: 24 } as const;
export const hubAddress = `${underlayNet.prefix}1`;
/** Room for Geneve's 58 bytes around a full 1500-byte guest frame. */
export const underlayMtu = 9000;
/** The tunnel endpoint of a chassis that is on no underlay: alone, it tunnels to nobody. */
export const loopbackEncap = '127.0.0.1';

/** What a chassis' run folder records about its place on the underlay. */
export interface UnderlayRecord {
  /** Its tunnel endpoint address (ovn-encap-ip), without the prefix length. */
  address: string;
  /** The hub only: every extra chassis linked to it, by chassis name. */
  members?: Record<string, UnderlayMember>;
}

export interface UnderlayMember {
  address: string;
  runDir: string;
  /** Its provider networks, each bridge linked to the hub's bridge of the same name. */
  providerNetworks?: { physnet: string; bridge?: string }[];
}

function underlayFile(layout: OvnLayout): string {
  return path.join(layout.runDir, 'underlay.json');
}

export async function readUnderlay(layout: OvnLayout): Promise<UnderlayRecord | undefined> {
  const file = underlayFile(layout);
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, 'utf8')) as UnderlayRecord;
}

export async function writeUnderlay(layout: OvnLayout, record: UnderlayRecord): Promise<void> {
  await writeFile(underlayFile(layout), JSON.stringify(record, null, 2) + '\n');
}

/** The ovn-encap-ip of a chassis: its underlay address once it has one. */
export async function encapAddress(layout: OvnLayout): Promise<string> {
  return (await readUnderlay(layout))?.address ?? loopbackEncap;
}

/** True for an address of the underlay other than the hub's: one an extra chassis may take. */
export function isMemberAddress(address: string): boolean {
  if (!address.startsWith(underlayNet.prefix)) return false;
  const host = address.slice(underlayNet.prefix.length);
  return /^\d{1,3}$/.test(host) && Number(host) >= 2 && Number(host) <= 254;
}

/**
 * The address of the chassis `name`: the one asked for, else the one it had, else the lowest
 * free one. Another chassis' address is refused: two endpoints of one address would each take
 * the other's tunnel packets.
 */
export function chooseAddress(
  members: Record<string, UnderlayMember>,
  name: string,
  wanted: string | undefined,
): string {
  const taken = new Map(
    Object.entries(members)
      .filter(([n]) => n !== name)
      .map(([n, m]) => [m.address, n]),
  );
  if (wanted !== undefined) {
    if (!isMemberAddress(wanted)) {
      throw new Error(
        `underlay address ${JSON.stringify(wanted)} is not usable: give one of ${underlayNet.prefix}2 to ${underlayNet.prefix}254 (${hubAddress} is the hub's)`,
      );
    }
    const holder = taken.get(wanted);
    if (holder !== undefined) {
      throw new Error(`underlay address ${wanted} is chassis ${holder}'s: give another`);
    }
    return wanted;
  }
  const had = members[name]?.address;
  if (had !== undefined) return had;
  for (let host = 2; host <= 254; host++) {
    const candidate = `${underlayNet.prefix}${String(host)}`;
    if (!taken.has(candidate)) return candidate;
  }
  throw new Error(`the underlay ${underlayNet.prefix}0/${String(underlayNet.length)} is full`);
}

/**
 * The two ends of a veth pair between the hub and one chassis, named from a digest of what they
 * join (Linux takes 15 characters at most), starting with `prefix`.
 */
export function vethNames(prefix: string, joins: string): { hub: string; member: string } {
  const digest = createHash('sha256').update(joins).digest('hex').slice(0, 8);
  return { hub: `${prefix}h-${digest}`, member: `${prefix}c-${digest}` };
}

/** The veth pair of a chassis' underlay link. */
export function underlayLinks(chassis: string): { hub: string; member: string } {
  return vethNames('ul', chassis);
}

/** One chassis as the underlay sees it: its Open vSwitch and the namespace it runs in. */
export interface UnderlayEnd {
  layout: OvnLayout;
  /** `/proc/<ovs-vswitchd pid>/ns/net`. */
  netns: string;
}

async function mustExec(netns: string, args: string[]): Promise<void> {
  const r = await execIn(netns, [tool('ip'), ...args]);
  if (r.code !== 0) {
    throw new Error(
      `ip ${args.join(' ')} (in ${netns}) failed, exit ${String(r.code)}: ${r.stderr}`,
    );
  }
}

async function linkExists(netns: string, name: string): Promise<boolean> {
  return (await execIn(netns, [tool('ip'), 'link', 'show', 'dev', name])).code === 0;
}

/** ovs-vsctl arguments for br-ul: a netdev bridge whose internal port carries the endpoint. */
export function underlayBridgeArgs(address: string): string[] {
  return [
    '--may-exist',
    'add-br',
    underlayBridge,
    '--',
    'set',
    'Bridge',
    underlayBridge,
    'datapath_type=netdev',
    '--',
    'set',
    'Interface',
    underlayBridge,
    // Else OVS gives the internal port the smallest MTU of the bridge's other ports.
    `mtu_request=${String(underlayMtu)}`,
    '--',
    'set',
    'Open_vSwitch',
    '.',
    `external_ids:ovn-encap-ip=${address}`,
  ];
}

/**
 * Puts one chassis on the underlay at `address`: br-ul with the address on its internal port
 * (up), and ovn-encap-ip set to it, which ovn-controller publishes in its Encap record.
 * Idempotent; run again after ovs-vswitchd restarted, since the address went with its device.
 */
export async function joinUnderlay(end: UnderlayEnd, address: string): Promise<void> {
  // Without --no-wait: returns once ovs-vswitchd has made br-ul's device.
  await check(vsctl(end.layout, underlayBridgeArgs(address)), `adding ${underlayBridge}`);
  const cidr = `${address}/${String(underlayNet.length)}`;
  await mustExec(end.netns, ['address', 'replace', cidr, 'dev', underlayBridge]);
  await mustExec(end.netns, ['link', 'set', underlayBridge, 'up']);
}

async function replacePort(end: UnderlayEnd, bridge: string, port: string): Promise<void> {
  // Deleted first: a port whose device vanished (its namespace ended) stays in the database
  // with an error, and Open vSwitch does not open a new device of that name on its own.
  await check(vsctl(end.layout, ['--if-exists', 'del-port', bridge, port]), `removing ${port}`);
  await check(vsctl(end.layout, ['add-port', bridge, port]), `adding ${port}`);
  const error = (
    await check(vsctl(end.layout, ['get', 'Interface', port, 'error']), `reading ${port}'s error`)
  ).trim();
  if (error !== '[]' && error !== '""') {
    throw new Error(`Open vSwitch could not open ${port}: ${error}`);
  }
}

/** A veth pair joining a bridge of the hub's Open vSwitch to the same bridge of a member's. */
export interface BridgeLink {
  bridge: string;
  /** The two ends' device names: at most 15 characters. */
  links: { hub: string; member: string };
  mtu?: number;
}

/**
 * Makes the veth pair of `link` between the hub's and the member's bridge. Kept while both ends
 * exist; made again when either chassis' namespace was replaced (a veth dies with either end).
 * `memberPid` is the member's ovs-vswitchd, whose namespace the member end moves into.
 */
export async function linkBridges(
  hub: UnderlayEnd,
  member: UnderlayEnd,
  memberPid: number,
  link: BridgeLink,
): Promise<'kept' | 'linked'> {
  const { links } = link;
  const hubEnd = await linkExists(hub.netns, links.hub);
  const memberEnd = await linkExists(member.netns, links.member);
  if (hubEnd && memberEnd) return 'kept';
  if (hubEnd) await mustExec(hub.netns, ['link', 'del', links.hub]);
  if (memberEnd) await mustExec(member.netns, ['link', 'del', links.member]);
  const mtu = link.mtu === undefined ? [] : ['mtu', String(link.mtu)];
  await mustExec(hub.netns, [
    'link',
    'add',
    links.hub,
    ...mtu,
    'type',
    'veth',
    'peer',
    'name',
    links.member,
    ...mtu,
  ]);
  // By PID: nsenter changes only the network namespace, so /proc is the one the PID is in.
  await mustExec(hub.netns, ['link', 'set', links.member, 'netns', String(memberPid)]);
  await mustExec(hub.netns, ['link', 'set', links.hub, 'up']);
  await mustExec(member.netns, ['link', 'set', links.member, 'up']);
  await replacePort(hub, link.bridge, links.hub);
  await replacePort(member, link.bridge, links.member);
  return 'linked';
}

/** Takes the hub's end of a link out of its bridge and deletes it (with its peer). */
export async function unlinkBridges(hub: UnderlayEnd | undefined, link: BridgeLink): Promise<void> {
  if (!hub) return;
  await check(
    vsctl(hub.layout, ['--if-exists', 'del-port', link.bridge, link.links.hub]),
    `removing ${link.links.hub}`,
  );
  if (await linkExists(hub.netns, link.links.hub)) {
    await mustExec(hub.netns, ['link', 'del', link.links.hub]);
  }
}

/** The veth pair from the hub's br-ul to the member's. */
export function linkToHub(
  hub: UnderlayEnd,
  member: UnderlayEnd,
  memberPid: number,
  chassis: string,
): Promise<'kept' | 'linked'> {
  return linkBridges(hub, member, memberPid, underlayLink(chassis));
}

const underlayLink = (chassis: string): BridgeLink => ({
  bridge: underlayBridge,
  links: underlayLinks(chassis),
  mtu: underlayMtu,
});

async function bridgeMac(end: UnderlayEnd): Promise<string> {
  const r = await execIn(end.netns, [tool('ip'), '-o', 'link', 'show', 'dev', underlayBridge]);
  const mac = /link\/ether ([0-9a-f:]{17})/.exec(r.stdout)?.[1];
  if (r.code !== 0 || !mac) {
    throw new Error(`no MAC address of ${underlayBridge} in ${end.netns}: ${r.stderr}`);
  }
  return mac;
}

/**
 * Tells each side's Open vSwitch the other endpoint's MAC address. Otherwise the first packet
 * into a tunnel only makes OVS ask ARP and is dropped, so a guest's first packet to the other
 * chassis would be lost. Set again with every link, since a restarted ovs-vswitchd's br-ul
 * has another MAC; an entry that ages out is learned again by ARP.
 */
export async function seedNeighbours(
  a: UnderlayEnd & { address: string },
  b: UnderlayEnd & { address: string },
): Promise<void> {
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    const args = ['tnl/neigh/set', underlayBridge, to.address, await bridgeMac(to)];
    await check(
      appctl(from.layout, from.layout.vswitchdCtl, args),
      `ovs-appctl ${args.join(' ')} (${from.layout.runDir})`,
    );
  }
}

/** Takes the hub's end of a chassis' underlay link out of br-ul and deletes it. */
export function unlinkFromHub(hub: UnderlayEnd | undefined, chassis: string): Promise<void> {
  return unlinkBridges(hub, underlayLink(chassis));
}

/**
 * True once Open vSwitch's own route table (which it learns from the kernel's routes in its
 * namespace, a moment after they change) sends the underlay through br-ul: before that, a
 * tunnel packet has no route and is dropped.
 */
export async function routesUnderlay(layout: OvnLayout): Promise<boolean> {
  const r = await appctl(layout, layout.vswitchdCtl, ['ovs/route/show'], { timeoutSeconds: 2 });
  const net = `${underlayNet.prefix}0/${String(underlayNet.length)}`;
  return (
    r.code === 0 &&
    r.stdout.split('\n').some((l) => l.includes(net) && l.includes(`dev ${underlayBridge}`))
  );
}

/** How long Open vSwitch may take to learn the underlay route from the kernel. */
const routeTimeoutMs = 10_000;

/** Waits until each chassis' Open vSwitch routes the underlay through br-ul. */
export async function waitUnderlayRoutes(layouts: OvnLayout[], clock: Clock): Promise<void> {
  const deadline = clock.now() + routeTimeoutMs;
  for (const layout of layouts) {
    while (!(await routesUnderlay(layout))) {
      if (clock.now() > deadline) {
        throw new Error(
          `Open vSwitch in ${layout.runDir} has no route to the underlay through ${underlayBridge} after ${String(routeTimeoutMs / 1000)} s: see \`ovs-appctl --target=${layout.vswitchdCtl} ovs/route/show\``,
        );
      }
      await clock.sleep(50);
    }
  }
}
