// Making the daemons of a new cluster, the way Ceph's manual deployment does it: a monitor
// from a monmap and keyring, a manager key, an OSD created in the OSD map with its key before
// its BlueStore mkfs. Each step builds under a partial name and publishes by rename, so an
// interrupted `up` is redone by the next one rather than leaving a half-made daemon.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toolOutput } from '../cluster/index.ts';
import { adminEnv, ceph, cephJson, keyringFor } from './client.ts';
import { daemonEnv } from './components.ts';
import { mgrModules, monAddrVec, systemMgrModuleDir } from './config.ts';
import { daemonIds, type CephLayout } from './layout.ts';
import type { CephState } from './state.ts';
import { cephTool, type CephTool } from './tools.ts';

const missingHint = 'run `make setup` to install Ceph (ceph-mon ceph-mgr ceph-osd ceph-common)';

function run(tool: CephTool, args: string[], input?: string): Promise<string> {
  return toolOutput(cephTool(tool), args, {
    missingHint,
    killAfterMs: 120_000,
    // The daemons' own commands (mkfs) too must not take the admin keyring from the shell.
    env: daemonEnv(process.env),
    ...(input === undefined ? {} : { input }),
  });
}

/** A new cephx secret, in the form keyrings hold. */
export async function newCephKey(): Promise<string> {
  return (await run('ceph-authtool', ['--gen-print-key'])).trim();
}

async function publishFile(file: string, text: string): Promise<void> {
  await writeFile(`${file}.partial`, text, { mode: 0o600 });
  await rename(`${file}.partial`, file);
}

/** Builds a folder under `<dir>.partial` and renames it into place once `fill` is done. */
async function publishDir(dir: string, fill: (partial: string) => Promise<void>): Promise<void> {
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  await fill(partial);
  await rename(partial, dir);
}

/** The monitor's data exists (the admin keyring with it: both are made together). */
export function monitorMade(layout: CephLayout): boolean {
  return existsSync(layout.monData) && existsSync(layout.adminKeyring);
}

/**
 * The admin and monitor keyrings, the monmap with the monitor on its loopback ports, and the
 * monitor's store (`ceph-mon --mkfs`).
 */
export async function makeMonitor(layout: CephLayout, state: CephState): Promise<void> {
  const admin = [
    '--cap', 'mon', 'allow *',
    '--cap', 'osd', 'allow *',
    '--cap', 'mds', 'allow *',
    '--cap', 'mgr', 'allow *',
  ]; // prettier-ignore
  await rm(layout.monKeyring, { force: true });
  await rm(layout.adminKeyring, { force: true });
  const adminPartial = `${layout.adminKeyring}.partial`;
  await rm(adminPartial, { force: true });
  await run('ceph-authtool', [
    '--create-keyring',
    adminPartial,
    '--gen-key',
    '-n',
    'client.admin',
    ...admin,
  ]);
  await run('ceph-authtool', [
    '--create-keyring',
    layout.monKeyring,
    '--gen-key',
    '-n',
    'mon.',
    '--cap',
    'mon',
    'allow *',
  ]);
  await run('ceph-authtool', [layout.monKeyring, '--import-keyring', adminPartial]);
  await rm(layout.monmap, { force: true });
  await run('monmaptool', [
    '--create',
    '--fsid',
    state.fsid,
    '--addv',
    daemonIds.mon,
    monAddrVec(state.ports),
    layout.monmap,
  ]);
  await publishDir(layout.monData, async (partial) => {
    await run('ceph-mon', [
      '--conf', layout.conf,
      '--id', daemonIds.mon,
      '--mkfs',
      '--mon-data', partial,
      '--monmap', layout.monmap,
      '--keyring', layout.monKeyring,
    ]); // prettier-ignore
  });
  await rename(adminPartial, layout.adminKeyring);
}

const mgrKeyring = (layout: CephLayout) => path.join(layout.mgrData, 'keyring');

/** The manager's module folder: links to the installed modules it loads (`mgrModules`). */
export async function ensureMgrModules(layout: CephLayout): Promise<void> {
  await mkdir(layout.mgrModuleDir, { recursive: true });
  for (const name of mgrModules) {
    const target = path.join(systemMgrModuleDir, name);
    if (!existsSync(target)) {
      throw new Error(`${target} is missing: run \`make setup\` to install ceph-mgr`);
    }
    const link = path.join(layout.mgrModuleDir, name);
    // A link left by an earlier `up` points at the same place; a dangling one is replaced.
    if (!existsSync(link)) {
      await rm(link, { force: true });
      await symlink(target, link);
    }
  }
}

/** The manager's key from the monitor, in its data folder. Needs the monitor running. */
export async function ensureManager(layout: CephLayout): Promise<void> {
  if (existsSync(mgrKeyring(layout))) return;
  const entity = `mgr.${daemonIds.mgr}`;
  const [entry] = await cephJson<{ key?: string }[]>(adminEnv(layout), [
    'auth', 'get-or-create', entity,
    'mon', 'allow profile mgr',
    'osd', 'allow *',
    'mds', 'allow *',
  ]); // prettier-ignore
  if (!entry?.key) throw new Error(`ceph auth get-or-create ${entity} returned no key`);
  // Device health monitoring reads SMART data, which a sparse file has none of; left on, it
  // makes a pool of its own right after `up` returns, whose placement group then peers while
  // the first tests run.
  await ceph(adminEnv(layout), [
    'config', 'set', 'mgr', 'mgr/devicehealth/enable_monitoring', 'false', '--force',
  ]); // prettier-ignore
  await mkdir(layout.mgrData, { recursive: true });
  await publishFile(mgrKeyring(layout), keyringFor(entity, entry.key));
}

/** BlueStore's mkfs finished: it writes `ready` last. */
export function osdMade(layout: CephLayout): boolean {
  return existsSync(path.join(layout.osdData, 'ready'));
}

/**
 * The OSD in the OSD map with its key (`ceph osd new`, which finds the same OSD again for the
 * same uuid), then its BlueStore on a sparse file (`bluestore block create`). Needs the
 * monitor running.
 */
export async function ensureOsd(layout: CephLayout, state: CephState): Promise<void> {
  if (osdMade(layout)) return;
  const env = adminEnv(layout);
  const secret = JSON.stringify({ cephx_secret: state.osd.key });
  const id = (await ceph(env, ['osd', 'new', state.osd.uuid, '-i', '-'], { input: secret })).trim();
  if (id !== String(daemonIds.osd)) {
    throw new Error(
      `ceph osd new gave the OSD id ${id}, not ${String(daemonIds.osd)}: the cluster in ${layout.runDir} has other OSDs; \`hack/ceph.sh purge\` starts afresh`,
    );
  }
  await rm(layout.osdData, { recursive: true, force: true });
  await publishDir(layout.osdData, async (partial) => {
    const keyring = path.join(partial, 'keyring');
    await writeFile(keyring, keyringFor(`osd.${String(daemonIds.osd)}`, state.osd.key), {
      mode: 0o600,
    });
    await run('ceph-osd', [
      '--conf', layout.conf,
      '--id', String(daemonIds.osd),
      '--mkfs',
      '--osd-data', partial,
      '--osd-uuid', state.osd.uuid,
      '--keyring', keyring,
    ]); // prettier-ignore
  });
}
