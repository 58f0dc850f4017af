import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';

export type OvnTool =
  | 'ovsdb-server'
  | 'ovsdb-tool'
  | 'ovn-northd'
  | 'ovn-controller'
  | 'ovs-vswitchd'
  | 'ovs-vsctl'
  | 'ovs-ofctl'
  | 'ovn-nbctl'
  | 'ovn-sbctl'
  | 'ovn-appctl'
  | 'ovn-trace'
  | 'unshare';

/**
 * How one program is run: `file`, then `args`, then the program's own arguments. A host
 * program is its own file; one of the trixie root runs through that root's loader, so the
 * loader is the file and the program comes in `args`.
 */
export interface Tool {
  file: string;
  args: readonly string[];
}

/** Resolves a tool name to how it is run. */
export type ToolResolver = (name: OvnTool) => Tool;

/**
 * The daemons live in sbin, which is often missing from a user's PATH; the Debian packages put
 * them in /usr/sbin and /usr/bin.
 */
const systemDirs = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * The first executable `name` in `dirs`. The path is what gets recorded for each process, and
 * a PID is only signalled while it still runs that exact file, so it must be absolute.
 */
export function findTool(name: string, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; try the next folder.
    }
  }
  return undefined;
}

export function searchDirs(envPath = process.env.PATH ?? ''): string[] {
  return [...new Set([...envPath.split(path.delimiter).filter(Boolean), ...systemDirs])];
}

const resolved = new Map<OvnTool, Tool>();

/** The installed tool, or an error that says how to get it. */
export const systemTool: ToolResolver = (name) => {
  const cached = resolved.get(name);
  if (cached) return cached;
  const found = findTool(name, searchDirs());
  if (!found) {
    throw new Error(
      `${name} not found on PATH or in ${systemDirs.join(', ')}: run \`make setup\` to install OVN and Open vSwitch`,
    );
  }
  const tool = { file: found, args: [] };
  resolved.set(name, tool);
  return tool;
};

/**
 * Where each program is in a root unpacked from Debian trixie's (or sid's) packages.
 * ovs-vswitchd is in a folder of its own: the package's install script would link
 * /usr/sbin/ovs-vswitchd to it, and unpacking runs no scripts.
 */
const rootDirs = ['usr/sbin', 'usr/bin', 'usr/lib/openvswitch-switch'];

/**
 * The programs of a root unpacked from a newer Debian, each run by the root's own loader with
 * the root's libraries: they need that libc, and the machine's loader would load the machine's.
 * `unshare` is the machine's (it only execs the daemon). `missing` says how to unpack the root.
 */
export function rootTools(
  root: string,
  missing = 'run `make setup` to unpack OVN 25.03 there',
): ToolResolver {
  const loader = path.join(root, 'usr/lib64/ld-linux-x86-64.so.2');
  const libraries = path.join(root, 'usr/lib/x86_64-linux-gnu');
  return (name) => {
    if (name === 'unshare') return systemTool(name);
    const found = findTool(
      name,
      rootDirs.map((d) => path.join(root, d)),
    );
    if (!found || !existsSync(loader)) {
      throw new Error(`${name} is not in ${root}: ${missing}`);
    }
    return { file: loader, args: ['--library-path', libraries, found] };
  };
}
