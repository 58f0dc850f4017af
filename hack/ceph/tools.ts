import { findTool, searchDirs } from '../ovn/index.ts';

export type CephTool =
  'ceph-mon' | 'ceph-mgr' | 'ceph-osd' | 'ceph-authtool' | 'monmaptool' | 'ceph' | 'rbd';

const resolved = new Map<CephTool, string>();

/**
 * The installed program as an absolute path: a daemon's PID is only signalled while it still
 * runs that exact file.
 */
export function cephTool(name: CephTool): string {
  const cached = resolved.get(name);
  if (cached) return cached;
  const found = findTool(name, searchDirs());
  if (!found) {
    throw new Error(
      `${name} not found on PATH or in the system folders: run \`make setup\` to install Ceph (ceph-mon ceph-mgr ceph-osd ceph-common)`,
    );
  }
  resolved.set(name, found);
  return found;
}
