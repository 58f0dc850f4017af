// What the ECS module keeps of each VM on its host beside QEMU's run directory, across agent
// restarts: a record per VM (by instance UID) and the path of its NoCloud seed.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../../controllers/host/index.ts';

/** What the module keeps of a VM beside QEMU's run directory, across agent restarts. */
export interface VmRecord {
  bootTime?: string;
  /** Stopped because powerState said so: starting it again is the user's wish, not a restart. */
  stoppedOnRequest?: boolean;
  /** Taps plugged for it, recorded before they are made: deletion removes exactly these. */
  taps?: string[];
  /** The tap of each NIC QEMU has (by QEMU id), for unplugging one. */
  nicTaps?: Record<string, string>;
  /** A digest of the VNC password QEMU has: a changed password is set again. */
  vncPasswordDigest?: string;
  /** A CPU quota was set on it: one taken off the Flavor is lifted. */
  cpuQuota?: boolean;
  /** QEMU was started (or about to be) and its taps are not all in br-int yet. */
  tapsUnplugged?: boolean;
}

/** How the record remembers the VNC password QEMU has, without keeping it. */
export const digest = (password: string) => createHash('sha256').update(password).digest('hex');

export const seedPath = (stateDir: string, uid: string) =>
  path.join(stateDir, 'seeds', `${uid}.img`);
export const recordPath = (stateDir: string, uid: string) =>
  path.join(stateDir, 'records', `${uid}.json`);

export async function readRecord(stateDir: string, uid: string): Promise<VmRecord> {
  try {
    return JSON.parse(await readFile(recordPath(stateDir, uid), 'utf8')) as VmRecord;
  } catch {
    return {};
  }
}

export async function writeRecord(stateDir: string, uid: string, r: VmRecord): Promise<void> {
  await writeFileAtomic(recordPath(stateDir, uid), JSON.stringify(r) + '\n');
}
