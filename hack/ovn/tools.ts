import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export type OvnTool =
  | 'ovsdb-server'
  | 'ovsdb-tool'
  | 'ovn-northd'
  | 'ovn-controller'
  | 'ovs-vswitchd'
  | 'ovs-vsctl'
  | 'ovn-nbctl'
  | 'ovn-sbctl'
  | 'ovn-appctl'
  | 'ovn-trace'
  | 'unshare';

/** Resolves a tool name to an absolute path. */
export type ToolResolver = (name: OvnTool) => string;

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

const resolved = new Map<OvnTool, string>();

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
  resolved.set(name, found);
  return found;
};
