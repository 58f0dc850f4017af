// The run folder's record of one Ceph cluster: what `up` chose when it made the cluster, and
// the PIDs it started.
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { RecordedProcess } from '../cluster/index.ts';
import type { MonPorts } from './config.ts';
import type { CephLayout } from './layout.ts';

export interface CephState {
  fsid: string;
  /** Fixed once the monitor is made: they are written into its monmap. */
  ports: MonPorts;
  /** The OSD's identity: `ceph osd new` with the same uuid finds the same OSD again. */
  osd: { uuid: string; key: string };
  processes: RecordedProcess[];
}

export async function readState(layout: CephLayout): Promise<CephState | undefined> {
  if (!existsSync(layout.stateFile)) return undefined;
  return JSON.parse(await readFile(layout.stateFile, 'utf8')) as CephState;
}

/** Written whole or not at all, readable only by its owner: it holds the OSD's key. */
export async function writeState(layout: CephLayout, state: CephState): Promise<void> {
  const partial = `${layout.stateFile}.partial`;
  await writeFile(partial, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  await rename(partial, layout.stateFile);
}
