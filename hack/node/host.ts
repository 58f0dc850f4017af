import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runTool, toolOutput } from '../cluster/run-tool.ts';
import { systemBinaries, type NodeNetwork } from './layout.ts';

function cmd(binary: string, args: string[]): Promise<string> {
  return toolOutput(binary, args, { missingHint: 'run `make setup`' });
}

const ip = (args: string[]) => cmd('ip', args);

function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

/** The run folder that created the dummy interface (kept in its alias), if it exists. */
export function dummyOwner(net: NodeNetwork): string | undefined {
  if (!linkExists(net.dummyInterface)) return undefined;
  try {
    return readFileSync(`/sys/class/net/${net.dummyInterface}/ifalias`, 'utf8').trim();
  } catch {
    return '';
  }
}

function inCidr(address: string, cidr: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/');
  const toInt = (a: string) => a.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(toInt(base) / size) * size;
  const value = toInt(address);
  return value >= start && value < start + size;
}

/**
 * Refuses to claim addresses the machine already uses elsewhere: every route and address of
 * the host that overlaps the node's ranges must be on the node's own interfaces.
 */
export async function checkAddressesFree(net: NodeNetwork): Promise<void> {
  const ours = new Set([net.dummyInterface, net.bridge]);
  const ranges = [`${net.nodeIp}/32`, net.podCidr, net.serviceCidr];
  const routes = JSON.parse(await ip(['-j', 'route', 'show', 'table', 'all'])) as {
    dst: string;
    dev?: string;
  }[];
  for (const r of routes) {
    if (r.dst === 'default' || (r.dev !== undefined && ours.has(r.dev))) continue;
    const dst = r.dst.includes('/') ? r.dst : `${r.dst}/32`;
    const [addr = ''] = dst.split('/');
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(addr)) continue;
    const clash = ranges.find((range) => {
      const [rangeAddr = ''] = range.split('/');
      return inCidr(addr, range) || inCidr(rangeAddr, dst);
    });
    if (clash) {
      throw new Error(
        `the node's range ${clash} overlaps the route ${r.dst} on ${r.dev ?? '?'}: refusing to start`,
      );
    }
  }
}

/**
 * The node IP on an interface of its own, and the Service range routed to it: a connection to
 * a ClusterIP made before kube-proxy has written its rules ends there, never on the default
 * route. This machine's kernel has no dummy driver; a bridge without ports serves the same
 * purpose (a local address, and a link that forwards nothing anywhere).
 */
export async function ensureDummy(net: NodeNetwork, owner: string): Promise<void> {
  if (!linkExists(net.dummyInterface)) {
    await ip(['link', 'add', net.dummyInterface, 'type', 'bridge']);
  }
  await ip(['link', 'set', 'dev', net.dummyInterface, 'alias', owner]);
  await ip(['addr', 'replace', `${net.nodeIp}/32`, 'dev', net.dummyInterface]);
  await ip(['link', 'set', 'dev', net.dummyInterface, 'up']);
  await ip(['route', 'replace', net.serviceCidr, 'dev', net.dummyInterface, 'src', net.nodeIp]);
}

/** Removes the dummy interface (its address and route go with it) and the pods' bridge. */
export async function removeLinks(net: NodeNetwork): Promise<string[]> {
  const removed: string[] = [];
  for (const name of [net.bridge, net.dummyInterface]) {
    if (!linkExists(name)) continue;
    await ip(['link', 'del', name]);
    removed.push(name);
  }
  return removed;
}

/**
 * Kernel settings the kubelet (vm.*, kernel.*), the bridge plugin (ip_forward) and kube-proxy
 * may change. `up` records them once; `down` puts back any that changed.
 */
export const watchedSysctls = [
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/route_localnet',
  'net/netfilter/nf_conntrack_max',
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
];

export function readSysctls(): Record<string, string> {
  const values: Record<string, string> = {};
  for (const key of watchedSysctls) {
    try {
      values[key] = readFileSync(`/proc/sys/${key}`, 'utf8').trim();
    } catch {
      // Not on this kernel: nothing to restore.
    }
  }
  return values;
}

export async function restoreSysctls(saved: Record<string, string>): Promise<string[]> {
  const restored: string[] = [];
  const now = readSysctls();
  for (const [key, value] of Object.entries(saved)) {
    if (now[key] === value) continue;
    await writeFile(`/proc/sys/${key}`, value);
    restored.push(`${key.replaceAll('/', '.')}=${value}`);
  }
  return restored;
}

/**
 * Every cgroup hierarchy, each a folder under /sys/fs/cgroup: the v1 controllers and, on a
 * hybrid machine, the v2 one runc also writes to.
 */
function cgroupHierarchies(): string[] {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n');
  return mounts
    .map((line) => line.split(' '))
    .filter((f) => (f[2] === 'cgroup' || f[2] === 'cgroup2') && f[1] !== undefined)
    .map((f) => f[1] ?? '');
}

/**
 * The kubelet's cgroup root must exist in every hierarchy before it starts. cpuset needs its
 * CPUs and memory nodes set before a task may join, so they are copied from the parent.
 */
export async function ensureCgroupRoot(name: string): Promise<void> {
  for (const hierarchy of cgroupHierarchies()) {
    const dir = path.join(hierarchy, name);
    await mkdir(dir, { recursive: true });
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const parent = path.join(hierarchy, file);
      const own = path.join(dir, file);
      if (existsSync(parent) && (await readFile(own, 'utf8')).trim() === '') {
        await writeFile(own, await readFile(parent, 'utf8'));
      }
    }
  }
}

function cgroupTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const below = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => cgroupTree(path.join(dir, e.name)));
  return [...below, dir];
}

/** PIDs still inside the node's cgroup subtree: container processes a dead runtime left. */
export function cgroupPids(name: string): number[] {
  const pids = new Set<number>();
  for (const hierarchy of cgroupHierarchies()) {
    for (const dir of cgroupTree(path.join(hierarchy, name))) {
      try {
        for (const pid of readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n')) {
          if (pid) pids.add(Number(pid));
        }
      } catch {
        // Removed meanwhile.
      }
    }
  }
  return [...pids];
}

/** Removes the node's cgroup subtree, deepest first; a cgroup still in use stays and is named. */
export async function removeCgroupRoot(name: string): Promise<string[]> {
  const left: string[] = [];
  for (const hierarchy of cgroupHierarchies()) {
    for (const dir of cgroupTree(path.join(hierarchy, name))) {
      try {
        await rmdir(dir);
      } catch {
        left.push(dir);
      }
    }
  }
  return left;
}

/** Mount points at or below `dir`, deepest first (the order to unmount them in). */
export function mountsUnder(dir: string): string[] {
  const unescape = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => unescape(line.split(' ')[4] ?? ''))
    .filter((p) => p === dir || p.startsWith(dir + '/'));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Unmounts everything the kubelet and containerd mounted below the run folder. */
export async function unmountUnder(dir: string): Promise<string[]> {
  const done: string[] = [];
  // A mount can hide another at the same point; repeat until none is left.
  for (let round = 0; round < 5; round++) {
    const points = mountsUnder(dir);
    if (points.length === 0) break;
    for (const point of points) {
      if ((await runTool('umount', [point])).code !== 0) await runTool('umount', ['-l', point]);
      done.push(point);
    }
  }
  return done;
}

/** Deletes kube-proxy's own nftables tables; it adds nothing to any other table. */
export async function removeProxyRules(): Promise<string[]> {
  const removed: string[] = [];
  for (const family of ['ip', 'ip6']) {
    // A failure means it is not there: kube-proxy never ran, or its table is already gone.
    const res = await runTool(systemBinaries.nft, ['delete', 'table', family, 'kube-proxy']);
    if (res.code === 0) removed.push(`${family} kube-proxy`);
  }
  return removed;
}

/** kube-router's chains in the filter table, and the ipsets its rules match on. */
const policyChain = /^(KUBE-ROUTER-(INPUT|FORWARD|OUTPUT)|KUBE-POD-FW-|KUBE-NWPLCY-)/;
const policySet = /^(KUBE-SRC-|KUBE-DST-)/;

/**
 * Removes what kube-router's network policy controller left in the filter table (its jumps from
 * INPUT, FORWARD and OUTPUT, its chains) and its ipsets. Its own `--cleanup-config` would also
 * sweep the routing and service-proxy state of a kube-router this node does not run.
 */
export async function removePolicyRules(): Promise<string[]> {
  const saved = await runTool(systemBinaries.iptablesSave, ['-t', 'filter']);
  if (saved.code !== 0) return [];
  const lines = saved.stdout.split('\n');
  const chains = lines
    .filter((l) => l.startsWith(':'))
    .map((l) => l.slice(1).split(' ')[0] ?? '')
    .filter((c) => policyChain.test(c));
  const removed: string[] = [];
  if (chains.length > 0) {
    const jumps = lines.filter(
      (l) =>
        /^-A (INPUT|FORWARD|OUTPUT) /.test(l) &&
        chains.some((c) => l.endsWith(`-j ${c}`) || l.includes(`-j ${c} `)),
    );
    const restore = [
      '*filter',
      ...jumps.map((l) => l.replace(/^-A /, '-D ')),
      ...chains.map((c) => `-F ${c}`),
      ...chains.map((c) => `-X ${c}`),
      'COMMIT',
      '',
    ].join('\n');
    await toolOutput(systemBinaries.iptablesRestore, ['--noflush'], {
      input: restore,
      label: 'iptables-restore (removing kube-router chains)',
    });
    removed.push(...chains);
  }
  const sets = await runTool(systemBinaries.ipset, ['list', '-n']);
  for (const name of sets.stdout.split('\n').filter((n) => policySet.test(n))) {
    if ((await runTool(systemBinaries.ipset, ['destroy', name])).code === 0) removed.push(name);
  }
  return removed;
}

/**
 * Folders outside the run folder that the node's components create whatever they are told:
 * containerd's shim sockets, libcni's result cache, the kubelet's legacy container-log links
 * and its device-plugin socket. `up` records which were missing before; children come first.
 */
export const hostPaths = [
  '/run/containerd/s',
  '/run/containerd',
  '/var/lib/cni/results',
  '/var/lib/cni',
  '/var/log/containers',
  '/var/lib/kubelet/device-plugins',
  '/var/lib/kubelet',
];

/** Holds only the kubelet's own socket and checkpoint: removed whole when `up` created it. */
const kubeletDevicePlugins = '/var/lib/kubelet/device-plugins';

export function missingHostPaths(): string[] {
  return hostPaths.filter((p) => !existsSync(p));
}

/**
 * Removes what the node left in the host folders: libcni cache entries of its network and of
 * its sandboxes (their loopback), container-log links into its pod-log folder, then each
 * folder that did not exist before `up` and is now empty.
 */
export async function cleanHostPaths(
  net: NodeNetwork,
  podLogsDir: string,
  sandboxIds: string[],
  createdByUs: string[],
): Promise<void> {
  const results = '/var/lib/cni/results';
  if (existsSync(results)) {
    for (const f of readdirSync(results)) {
      if (f.startsWith(`${net.cniNetwork}-`) || sandboxIds.some((id) => f.includes(`-${id}-`))) {
        await rm(path.join(results, f), { force: true });
      }
    }
  }
  const links = '/var/log/containers';
  if (existsSync(links)) {
    for (const f of readdirSync(links)) {
      const link = path.join(links, f);
      try {
        if (readlinkSync(link).startsWith(podLogsDir + '/')) await rm(link, { force: true });
      } catch {
        // Not a link.
      }
    }
  }
  if (createdByUs.includes(kubeletDevicePlugins)) {
    await rm(kubeletDevicePlugins, { recursive: true, force: true });
  }
  for (const dir of hostPaths) {
    if (!createdByUs.includes(dir) || !existsSync(dir)) continue;
    if (statSync(dir).isDirectory() && readdirSync(dir).length === 0) await rmdir(dir);
  }
}
