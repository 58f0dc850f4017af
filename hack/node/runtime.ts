import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasExited } from '../cluster/processes.ts';
import { runTool, toolOutput } from '../cluster/run-tool.ts';
import { systemBinaries } from './layout.ts';

/** The CRI plugin keeps Kubernetes' containers and images in this containerd namespace. */
const criNamespace = 'k8s.io';

function ctr(socket: string, args: string[]): Promise<string> {
  return toolOutput(
    systemBinaries.ctr,
    ['--address', socket, '--namespace', criNamespace, ...args],
    { label: `ctr ${args.join(' ')}`, missingHint: 'run `make setup`' },
  );
}

export async function containerdServing(socket: string): Promise<boolean> {
  try {
    await ctr(socket, ['version']);
    return true;
  } catch {
    return false;
  }
}

/** Imports a docker-archive into the CRI namespace, unpacked for the CRI's snapshotter. */
export async function importImage(socket: string, archive: string): Promise<void> {
  await ctr(socket, ['images', 'import', '--no-unpack=false', archive]);
}

export async function hasImage(socket: string, ref: string): Promise<boolean> {
  const names = await ctr(socket, ['images', 'list', '--quiet']);
  return names.split('\n').includes(ref);
}

/** The network namespace a container was given, from its spec. */
function netnsOf(info: string): string | undefined {
  const spec = (
    JSON.parse(info) as {
      Spec?: { linux?: { namespaces?: { type: string; path?: string }[] } };
    }
  ).Spec;
  return spec?.linux?.namespaces?.find((n) => n.type === 'network')?.path;
}

/**
 * Kills every container and sandbox of the node and deletes them, so each shim exits, and
 * removes the sandboxes' network namespaces (their veths go with them). Used once the kubelet
 * has stopped, so nothing starts them again.
 */
export async function removeAllContainers(socket: string): Promise<{
  ids: string[];
  netns: string[];
}> {
  const ids = (await ctr(socket, ['containers', 'list', '--quiet'])).split('\n').filter(Boolean);
  const netns = new Set<string>();
  for (const id of ids) {
    try {
      const ns = netnsOf(await ctr(socket, ['containers', 'info', id]));
      // Sandboxes own a bind-mounted namespace; containers join theirs through /proc/<pid>.
      if (ns && !ns.startsWith('/proc/')) netns.add(ns);
    } catch {
      // Gone meanwhile.
    }
  }
  for (const id of ids) {
    await ctr(socket, ['tasks', 'kill', '--all', '--signal', 'SIGKILL', id]).catch(() => '');
  }
  for (const id of ids) {
    await ctr(socket, ['tasks', 'delete', '--force', id]).catch(() => '');
    await ctr(socket, ['containers', 'delete', id]).catch(() => '');
  }
  const removed: string[] = [];
  for (const ns of netns) {
    await runTool('umount', [ns]);
    await rm(ns, { force: true });
    removed.push(ns);
  }
  return { ids, netns: removed };
}

/**
 * containerd's shims outlive it; ours are the ones given our containerd's socket address, so
 * another containerd's shims (with another address) are never touched.
 */
export function shimPids(socket: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv[0] !== systemBinaries.shim) continue;
      const i = argv.indexOf('-address');
      if (i >= 0 && argv[i + 1] === socket) pids.push(Number(entry));
    } catch {
      // Exited meanwhile.
    }
  }
  return pids;
}

/**
 * Processes of a node whose run folder (and so its record of PIDs) is gone: the given binaries
 * started with an argument naming a path in that folder, which no other process has.
 */
export function orphanPids(runDir: string, binaries: string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!binaries.includes(argv[0] ?? '')) continue;
      if (argv.slice(1).some((a) => a.includes(`${runDir}/`))) pids.push(Number(entry));
    } catch {
      // Exited meanwhile.
    }
  }
  return pids;
}

/** SIGKILLs the given PIDs and waits, within a bound, until they are gone. */
export async function killAndWait(pids: number[], limitMs = 10_000): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + limitMs;
  // A zombie counts as gone: it holds nothing, and its reaper may be a process we do not own.
  while (pids.some((pid) => !hasExited(pid)) && Date.now() < deadline) await sleep(50);
}
