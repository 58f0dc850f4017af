import path from 'node:path';
import { repoRoot } from '../cluster/index.ts';

/**
 * Every file one Ceph cluster owns lives under its run folder: configuration, keyrings, the
 * daemons' data (the OSD's BlueStore block file among them), admin sockets, logs and crash
 * reports. Nothing is read from or written to /etc/ceph or /var/lib/ceph.
 */
export interface CephLayout {
  runDir: string;
  stateFile: string;
  /** ceph.conf: what every daemon and client of this cluster reads (CEPH_CONF). */
  conf: string;
  /** client.admin's keyring, named in ceph.conf so `ceph -c <conf>` needs nothing else. */
  adminKeyring: string;
  /** mon.'s keyring with client.admin imported: only the monitor's mkfs reads it. */
  monKeyring: string;
  /** Written by monmaptool for the monitor's mkfs. */
  monmap: string;
  /** Keyrings of the restricted client users `createClientUser` makes. */
  keyringDir: string;
  /** Daemon data: `mon-a`, `mgr-x`, `osd-0` under it. */
  dataDir: string;
  monData: string;
  mgrData: string;
  osdData: string;
  /** The manager's Python modules: links to the few it needs (`mgr module path`). */
  mgrModuleDir: string;
  /** Admin sockets (`ceph daemon <socket> ...`). */
  socketDir: string;
  logDir: string;
  crashDir: string;
}

/** The ids of the one monitor, manager and OSD. */
export const daemonIds = { mon: 'a', mgr: 'x', osd: 0 } as const;

export function cephLayout(runDir: string): CephLayout {
  // `purge` deletes the run folder: an empty path must not quietly mean the current folder.
  if (runDir.trim() === '') throw new Error('a Ceph run folder must be named');
  const abs = path.resolve(runDir);
  const dataDir = path.join(abs, 'data');
  return {
    runDir: abs,
    stateFile: path.join(abs, 'state.json'),
    conf: path.join(abs, 'ceph.conf'),
    adminKeyring: path.join(abs, 'ceph.client.admin.keyring'),
    monKeyring: path.join(abs, 'ceph.mon.keyring'),
    monmap: path.join(abs, 'monmap'),
    keyringDir: path.join(abs, 'keyrings'),
    dataDir,
    monData: path.join(dataDir, `mon-${daemonIds.mon}`),
    mgrData: path.join(dataDir, `mgr-${daemonIds.mgr}`),
    osdData: path.join(dataDir, `osd-${String(daemonIds.osd)}`),
    mgrModuleDir: path.join(abs, 'mgr-modules'),
    socketDir: path.join(abs, 'run'),
    logDir: path.join(abs, 'logs'),
    crashDir: path.join(abs, 'crash'),
  };
}

/** The cluster `hack/ceph.sh` runs for development; tests start their own elsewhere. */
export function devCephLayout(): CephLayout {
  return cephLayout(path.join(repoRoot, '.local', 'ceph'));
}

/** `$KCLOUD_CEPH_DIR` when set (another instance, such as a test's), else the development one. */
export function cephLayoutFromEnv(env: NodeJS.ProcessEnv = process.env): CephLayout {
  const dir = env.KCLOUD_CEPH_DIR;
  return dir ? cephLayout(dir) : devCephLayout();
}
