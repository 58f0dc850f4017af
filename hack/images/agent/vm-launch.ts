// kcloud-vm-launch, carried by the agent image: runs a command (QEMU) in a cgroup of its own
// outside the agent's container. The container runtime and the kubelet kill every process left
// in a container's or pod's cgroup when it stops, so a QEMU left in the agent's would die with
// every restart or upgrade of the agent pod; in a cgroup of its own it lives on, and the next
// agent adopts it by its run directory. Only Node.js's own modules: it runs as a file of its
// own (/usr/local/lib/kcloud/vm-launch.ts), with no application or node_modules around it.
//
//   node vm-launch.ts <cgroup filesystem root> <parent>/<vm> -- <command> [args…]
//
// The cgroup is made in every hierarchy (cgroup v1) or in the unified one (v2); this process
// moves into it and starts the command, whose daemon (QEMU's -daemonize) stays there. The empty
// cgroups of earlier VMs under <parent> are removed on the way.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';

export class LaunchError extends Error {}

const segment = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The cgroup's path below each hierarchy's root, checked: a parent of at least one folder and
 * the VM's own below it, so that pruning empty siblings only ever touches kcloud's VMs.
 */
export function checkCgroupPath(cgroup: string): { parent: string; leaf: string } {
  const parts = cgroup.split('/');
  if (parts.length < 2 || !parts.every((p) => segment.test(p))) {
    throw new LaunchError(
      `${JSON.stringify(cgroup)} is not a cgroup of the form <parent>/<vm> (folders of A-Z, a-z, 0-9, '.', '_', '-')`,
    );
  }
  return { parent: parts.slice(0, -1).join('/'), leaf: parts[parts.length - 1] ?? '' };
}

/** Each hierarchy's root folder: the root itself on cgroup v2, each v1 controller's below it. */
export function hierarchies(root: string): string[] {
  if (existsSync(path.join(root, 'cgroup.procs'))) return [root];
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch (err) {
    throw new LaunchError(
      `cannot read the cgroup filesystem at ${root} (the host's /sys/fs/cgroup must be mounted there): ${(err as Error).message}`,
    );
  }
  // Symbolic links (cpu,cpuacct → cpu) name a hierarchy listed already.
  const found = entries
    .filter((e) => e.isDirectory() && existsSync(path.join(root, e.name, 'cgroup.procs')))
    .map((e) => path.join(root, e.name));
  if (found.length === 0) {
    throw new LaunchError(
      `no cgroup hierarchy under ${root}: mount the host's /sys/fs/cgroup there`,
    );
  }
  return found;
}

/** Makes `dir` and the folders above it below `hierarchy`, each cpuset (v1) given its parent's CPUs and memory nodes. */
function makeCgroup(hierarchy: string, relative: string): string {
  let dir = hierarchy;
  for (const part of relative.split('/')) {
    const parent = dir;
    dir = path.join(dir, part);
    if (!existsSync(dir)) mkdirSync(dir);
    // A new v1 cpuset has none and takes no process until it has some.
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      const own = path.join(dir, file);
      if (existsSync(own) && readFileSync(own, 'utf8').trim() === '') {
        writeFileSync(own, readFileSync(path.join(parent, file), 'utf8'));
      }
    }
  }
  return dir;
}

const vmCgroup = /^[0-9a-f-]{36}$/;

/** Removes the empty cgroups of other VMs under `parentDir`; one still holding a process stays. */
function pruneEmpty(parentDir: string, keep: string): void {
  for (const e of readdirSync(parentDir, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name === keep || !vmCgroup.test(e.name)) continue;
    try {
      rmdirSync(path.join(parentDir, e.name));
    } catch {
      // Busy: its VM still runs.
    }
  }
}

/** Moves this process into `<parent>/<vm>` in every hierarchy under `root`; returns the folders. */
export function enterCgroup(root: string, cgroup: string): string[] {
  const { parent, leaf } = checkCgroupPath(cgroup);
  const dirs: string[] = [];
  for (const h of hierarchies(root)) {
    let dir: string;
    try {
      dir = makeCgroup(h, cgroup);
      writeFileSync(path.join(dir, 'cgroup.procs'), String(process.pid));
    } catch (err) {
      throw new LaunchError(
        `cannot move into the cgroup ${cgroup} of ${h}: ${(err as Error).message}`,
      );
    }
    pruneEmpty(path.join(h, parent), leaf);
    dirs.push(dir);
  }
  return dirs;
}

function main(argv: string[]): number {
  const [root, cgroup, separator, file, ...args] = argv;
  if (root === undefined || cgroup === undefined || separator !== '--' || file === undefined) {
    throw new LaunchError(
      'usage: vm-launch.ts <cgroup filesystem root> <parent>/<vm> -- <command> [args…]',
    );
  }
  enterCgroup(root, cgroup);
  const r = spawnSync(file, args, { stdio: 'inherit' });
  if (r.error) throw new LaunchError(`cannot run ${file}: ${r.error.message}`);
  if (r.signal) return 128 + constants.signals[r.signal];
  return r.status ?? 1;
}

if (import.meta.main) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`kcloud-vm-launch: ${(err as Error).message}\n`);
    process.exitCode = 125;
  }
}
