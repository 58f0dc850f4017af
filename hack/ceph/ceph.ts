import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { realClock, type Clock } from '../../controllers/clock/index.ts';
import {
  hasExited,
  isOurs,
  awaitExit,
  portIsFree,
  startDetached,
  stopProcess,
  type RecordedProcess,
} from '../cluster/index.ts';
import { withPidLock } from '../cluster/pid-lock.ts';
import { freshPortsAvoiding, tail } from '../ovn/index.ts';
import {
  ensureManager,
  ensureMgrModules,
  ensureOsd,
  makeMonitor,
  monitorMade,
  newCephKey,
} from './bootstrap.ts';
import { adminEnv, adminSocketJson, cephJson, type CephEnv } from './client.ts';
import { monAddrVec, renderConfig } from './config.ts';
import {
  adminSocket,
  componentOrder,
  componentSpec,
  type ComponentName,
  type ComponentSpec,
} from './components.ts';
import {
  cephReadiness,
  daemonsWaitingFor,
  staleReportsWaitingFor,
  type CephReadiness,
  type CephStatusJson,
  type DaemonStatusJson,
  type MgrDumpJson,
  type OsdDumpJson,
  type PgDumpJson,
} from './health.ts';
import type { CephLayout } from './layout.ts';
import { readState, writeState, type CephState } from './state.ts';
import { cephTool } from './tools.ts';

export type Log = (line: string) => void;

export interface CephRunOptions {
  log?: Log;
  /** Paces the readiness polls and measures start times. */
  clock?: Clock;
}

export interface CephUpOptions extends CephRunOptions {
  /** How long `up` waits for the cluster to be usable; 180 s by default. */
  timeoutMs?: number;
}

/** Where clients find a cluster, and what `up` did. */
export interface CephInfo {
  layout: CephLayout;
  /** CEPH_CONF. */
  conf: string;
  adminKeyring: string;
  /** `[v2:127.0.0.1:P2,v1:127.0.0.1:P1]`, as `mon host` in ceph.conf. */
  monHost: string;
  fsid: string;
  /** client.admin. */
  admin: CephEnv;
  processes: RecordedProcess[];
  /** False when `up` found the cluster running and usable and started nothing. */
  started: boolean;
}

export interface CephStatus {
  state: CephState | undefined;
  alive: Partial<Record<ComponentName, boolean>>;
  /** What the monitor says; undefined when it does not answer. */
  readiness: CephReadiness | undefined;
  /** Every daemon runs and the cluster is usable. */
  ready: boolean;
}

/** The one OSD every cluster here has. */
const osdCount = 1;
const defaultTimeoutMs = 180_000;
const requiredTools = [
  'ceph-mon',
  'ceph-mgr',
  'ceph-osd',
  'ceph-authtool',
  'monmaptool',
  'ceph',
  'rbd',
] as const;
/** sun_path holds 108 bytes with the terminating NUL. */
const maxSocketPath = 107;
/** A status probe must not wait long for a monitor that is down. */
const probeConnectTimeoutSeconds = 5;

function info(layout: CephLayout, state: CephState, started: boolean): CephInfo {
  return {
    layout,
    conf: layout.conf,
    adminKeyring: layout.adminKeyring,
    monHost: monAddrVec(state.ports),
    fsid: state.fsid,
    admin: adminEnv(layout),
    processes: state.processes,
    started,
  };
}

function aliveOf(state: CephState | undefined): CephStatus['alive'] {
  return Object.fromEntries((state?.processes ?? []).map((p) => [p.name, isOurs(p)]));
}

/** The cluster as the monitor sees it, and the OSD and manager as they see themselves. */
async function probe(layout: CephLayout, connectTimeout?: number): Promise<CephReadiness> {
  const opts = connectTimeout === undefined ? {} : { connectTimeoutSeconds: connectTimeout };
  const env = adminEnv(layout);
  const unanswered = () => undefined;
  const [cluster, osd, mgr, mgrDump] = await Promise.all([
    cephJson<CephStatusJson>(env, ['status'], opts).then(
      (s) => cephReadiness(s, osdCount),
      (err: unknown): CephReadiness => ({
        ready: false,
        waitingFor: [`the monitor to answer: ${(err as Error).message}`],
      }),
    ),
    adminSocketJson<DaemonStatusJson>(adminSocket(layout, 'ceph-osd'), ['status']).catch(
      unanswered,
    ),
    adminSocketJson<DaemonStatusJson>(adminSocket(layout, 'ceph-mgr'), ['status']).catch(
      unanswered,
    ),
    cephJson<MgrDumpJson>(env, ['mgr', 'dump'], opts).catch(unanswered),
  ]);
  const waitingFor = [...cluster.waitingFor, ...daemonsWaitingFor(osd, mgr, mgrDump)];
  // Only then, as it takes two more commands: whether the clean states are the running OSD's.
  if (waitingFor.length === 0) waitingFor.push(...(await staleReports(env, opts)));
  return { ready: waitingFor.length === 0, waitingFor };
}

async function staleReports(
  env: ReturnType<typeof adminEnv>,
  opts: { connectTimeoutSeconds?: number },
): Promise<string[]> {
  try {
    const [osdDump, pgDump] = await Promise.all([
      cephJson<OsdDumpJson>(env, ['osd', 'dump'], opts),
      cephJson<PgDumpJson>(env, ['pg', 'dump', 'pgs'], opts),
    ]);
    return staleReportsWaitingFor(osdDump, pgDump);
  } catch (err) {
    return [`the OSD and placement-group maps: ${(err as Error).message}`];
  }
}

/** Which recorded daemons run, and whether the cluster is usable. */
export async function cephStatus(layout: CephLayout): Promise<CephStatus> {
  const state = await readState(layout);
  const alive = aliveOf(state);
  if (!state || alive['ceph-mon'] !== true) {
    return { state, alive, readiness: undefined, ready: false };
  }
  const readiness = await probe(layout, probeConnectTimeoutSeconds);
  const ready = componentOrder.every((n) => alive[n] === true) && readiness.ready;
  return { state, alive, readiness, ready };
}

async function logTails(spec: ComponentSpec): Promise<string> {
  return [
    `last lines of ${spec.logFile}:\n${await tail(spec.logFile)}`,
    `${spec.consoleFile}:\n${await tail(spec.consoleFile)}`,
  ].join('\n');
}

/** A new cluster's identity: its fsid, the monitor's ports, the OSD's uuid and key. */
async function newState(): Promise<CephState> {
  const [v2 = 0, v1 = 0] = await freshPortsAvoiding([], 2);
  return {
    fsid: randomUUID(),
    ports: { v2, v1 },
    osd: { uuid: randomUUID(), key: await newCephKey() },
    processes: [],
  };
}

async function checkMonPortsFree(state: CephState): Promise<void> {
  for (const port of [state.ports.v2, state.ports.v1]) {
    if (!(await portIsFree(port))) {
      throw new Error(
        `port ${String(port)} of the Ceph monitor (fixed in its monmap) is in use by another process: free it, or \`hack/ceph.sh purge\` and make a new cluster`,
      );
    }
  }
}

/**
 * Starts a single-host Ceph cluster (one monitor, one manager, one BlueStore OSD on a sparse
 * file, all on 127.0.0.1) in the layout's run folder, making it first if there is none, and
 * waits until it is usable (`cephReadiness`). Idempotent, and starts only what is down: a
 * running daemon is left alone, and the others reconnect to one that comes back on the same
 * address.
 */
export async function cephUp(layout: CephLayout, opts: CephUpOptions = {}): Promise<CephInfo> {
  const socket = adminSocket(layout, 'ceph-osd');
  if (Buffer.byteLength(socket) > maxSocketPath) {
    // The daemons would run without admin sockets, which `up` asks whether they are ready.
    throw new Error(
      `the Ceph run folder ${layout.runDir} is too deep: its admin sockets (${socket}) need paths of at most ${String(maxSocketPath)} bytes`,
    );
  }
  for (const t of requiredTools) cephTool(t);
  await mkdir(layout.runDir, { recursive: true });
  // Two `up`s of one folder at once would make two monitors; the second waits for the first.
  return withPidLock(path.join(layout.runDir, 'up.lock'), () => upLocked(layout, opts), {
    onWait: (holder) =>
      opts.log?.(`waiting for pid ${String(holder)}, which is starting this cluster`),
  });
}

async function upLocked(layout: CephLayout, opts: CephUpOptions): Promise<CephInfo> {
  const log = opts.log ?? (() => undefined);
  const clock = opts.clock ?? realClock;
  const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs;

  const previous = await readState(layout);
  if (previous) {
    const current = await cephStatus(layout);
    if (current.ready) {
      log(`Ceph already running in ${layout.runDir}`);
      return info(layout, previous, false);
    }
  } else if (monitorMade(layout)) {
    // Its fsid and ports are in the monitor's store: a new record would contradict them.
    throw new Error(
      `${layout.runDir} holds a Ceph monitor but no ${layout.stateFile}: \`hack/ceph.sh purge\` (with KCLOUD_CEPH_DIR=${layout.runDir}) and start afresh`,
    );
  }
  for (const dir of [
    layout.dataDir,
    layout.socketDir,
    layout.logDir,
    layout.crashDir,
    layout.keyringDir,
  ]) {
    await mkdir(dir, { recursive: true });
  }
  const state: CephState = previous ?? (await newState());
  await writeState(layout, state);
  await writeFile(layout.conf, renderConfig(layout, state.fsid, state.ports));

  const alive = aliveOf(state);
  const startedNow: RecordedProcess[] = [];
  // Recorded names are component names: this code wrote them.
  const specOf = (name: string) => componentSpec(name as ComponentName, layout);
  const began = clock.now();
  const seconds = () => ((clock.now() - began) / 1000).toFixed(1);

  /** A daemon started by this call that has exited: the reason is in its log. */
  const checkStarted = async () => {
    for (const proc of startedNow) {
      if (!isOurs(proc) && hasExited(proc.pid)) {
        throw new Error(`${proc.name} exited while starting; ${await logTails(specOf(proc.name))}`);
      }
    }
  };
  const start = async (name: ComponentName) => {
    if (alive[name] === true) {
      const kept = state.processes.find((p) => p.name === name);
      log(`${name} kept (pid ${String(kept?.pid)})`);
      return;
    }
    const spec = componentSpec(name, layout);
    // One killed a moment ago may still hold the address or the OSD's block file.
    for (const old of state.processes.filter((p) => p.name === name)) await awaitExit(old);
    const proc = startDetached(name, spec.command, spec.args, spec.consoleFile, spec.env);
    startedNow.push(proc);
    state.processes = [...state.processes.filter((p) => p.name !== name), proc];
    // Recorded before any wait, so `down` can stop it even if the cluster never gets ready.
    await writeState(layout, state);
    log(`${name} started (pid ${String(proc.pid)}) at ${seconds()} s`);
  };
  /** A step that needs the monitor; if it fails because the monitor died, say that. */
  const withMonitor = async (step: () => Promise<void>) => {
    try {
      await step();
    } catch (err) {
      await checkStarted();
      throw err;
    }
  };

  try {
    if (!monitorMade(layout)) {
      log(`making a new cluster ${state.fsid} in ${layout.runDir}`);
      await makeMonitor(layout, state);
    }
    if (alive['ceph-mon'] !== true) await checkMonPortsFree(state);
    await start('ceph-mon');
    await withMonitor(() => ensureManager(layout));
    await ensureMgrModules(layout);
    await start('ceph-mgr');
    await withMonitor(() => ensureOsd(layout, state));
    await start('ceph-osd');

    const deadline = clock.now() + timeoutMs;
    let said = '';
    for (;;) {
      await checkStarted();
      const r = await probe(layout);
      if (r.ready) break;
      const now = r.waitingFor.join('; ');
      if (now !== said) log(`${seconds()} s: waiting for ${now}`);
      said = now;
      if (clock.now() > deadline) {
        const tails = await Promise.all(startedNow.map((p) => logTails(specOf(p.name))));
        throw new Error(
          `Ceph in ${layout.runDir} was not usable within ${String(timeoutMs / 1000)} s: waiting for ${r.waitingFor.join('; ')}\n${tails.join('\n')}`,
        );
      }
      await clock.sleep(250);
    }
  } catch (err) {
    // Leave nothing half-started behind; what ran before this call keeps running.
    for (const proc of [...startedNow].reverse()) await stopProcess(proc);
    const pids = new Set(startedNow.map((p) => p.pid));
    state.processes = state.processes.filter((p) => !pids.has(p.pid));
    await writeState(layout, state);
    throw err;
  }
  log(`Ceph usable in ${seconds()} s (${layout.runDir})`);
  return info(layout, state, startedNow.length > 0);
}

/**
 * Stops exactly the recorded daemons, the OSD first; the data stays unless purged (which
 * deletes the whole run folder).
 */
export async function cephDown(
  layout: CephLayout,
  opts: CephRunOptions & { purge?: boolean } = {},
): Promise<void> {
  const log = opts.log ?? (() => undefined);
  const state = await readState(layout);
  if (state) {
    for (const name of [...componentOrder].reverse()) {
      for (const proc of state.processes.filter((p) => p.name === name)) {
        await stopProcess(proc);
        log(`stopped ${name} (pid ${String(proc.pid)})`);
      }
    }
    if (!opts.purge) await writeState(layout, { ...state, processes: [] });
  } else {
    log(`no Ceph cluster recorded in ${layout.runDir}`);
  }
  if (opts.purge) await rm(layout.runDir, { recursive: true, force: true });
}

/** Where clients of the recorded cluster connect (it need not be running). */
export async function cephInfo(layout: CephLayout): Promise<CephInfo> {
  const state = await readState(layout);
  if (!state)
    throw new Error(`no Ceph cluster recorded in ${layout.runDir}: run \`hack/ceph.sh up\``);
  return info(layout, state, false);
}
