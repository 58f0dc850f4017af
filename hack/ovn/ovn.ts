import { mkdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { realClock, type Clock } from '../../controllers/clock/index.ts';
import {
  awaitExit,
  hasExited,
  isOurs,
  startDetached,
  stopProcess,
  type RecordedProcess,
} from '../cluster/index.ts';
import {
  componentOrder,
  componentSpec,
  planUp,
  requireValidChassisName,
  type ComponentName,
  type ComponentSpec,
  type OvnOptions,
  type Ports,
} from './components.ts';
import { downAllChassis } from './chassis-down.ts';
import { ovsEnv } from './env.ts';
import { relinkHub } from './hub.ts';
import { selectedInstall, type OvnSchemas } from './install.ts';
import type { OvnLayout } from './layout.ts';
import { configureChassis } from './openvswitch.ts';
import { removeAllGuests, replugGuests } from './guests.ts';
import { ensureDatabase } from './ovsdb.ts';
import { choosePorts } from './ports.ts';
import { isReady, type ProbeContext } from './probes.ts';
import {
  readState,
  requireState,
  rollBack,
  stopRecorded,
  writeState,
  type OvnState,
} from './state.ts';
import type { OvnTool } from './tools.ts';

/** How a client reaches one database, in OVSDB's own connection syntax. */
export interface OvsdbRemotes {
  /** `unix:<run>/ovnnb_db.sock` */
  unix: string;
  /** `tcp:127.0.0.1:<port>` */
  tcp: string;
}

export interface OvnConnection {
  nb: OvsdbRemotes;
  sb: OvsdbRemotes;
}

export interface OvnInfo {
  connection: OvnConnection;
  options: OvnOptions;
  processes: RecordedProcess[];
  /** False when `up` found the instance already running and started nothing. */
  started: boolean;
}

export interface OvnStatus {
  state: OvnState | undefined;
  alive: Partial<Record<ComponentName, boolean>>;
  /** Each component of the recorded options: runs and passes its readiness probe. */
  componentReady: Partial<Record<ComponentName, boolean>>;
  /** Every component of the recorded options runs and passes its readiness probe. */
  ready: boolean;
}

export type Log = (line: string) => void;

export interface RunOptions {
  log?: Log;
  /** Paces the readiness polls and measures start times. */
  clock?: Clock;
}

export type UpOptions = Partial<OvnOptions> & RunOptions;

const readyTimeoutMs: Record<ComponentName, number> = {
  'ovsdb-nb': 30_000,
  'ovsdb-sb': 30_000,
  'ovn-northd': 30_000,
  'ovsdb-vswitch': 30_000,
  'ovs-vswitchd': 60_000,
  'ovn-controller': 60_000,
};

const requiredTools: Record<'control' | 'data', OvnTool[]> = {
  control: ['ovsdb-server', 'ovsdb-tool', 'ovn-northd', 'ovn-nbctl', 'ovn-sbctl', 'ovn-appctl'],
  data: ['ovs-vswitchd', 'ovn-controller', 'ovs-vsctl', 'unshare'],
};

export function connectionFor(layout: OvnLayout, ports: Ports): OvnConnection {
  return {
    nb: { unix: `unix:${layout.nb.socket}`, tcp: `tcp:127.0.0.1:${String(ports.nb)}` },
    sb: { unix: `unix:${layout.sb.socket}`, tcp: `tcp:127.0.0.1:${String(ports.sb)}` },
  };
}

/** Where clients connect to the recorded instance (it need not be running). */
export async function connection(layout: OvnLayout): Promise<OvnConnection> {
  return connectionFor(layout, (await requireState(layout)).ports);
}

/** The last lines of a log file, `(empty)` or `(none)`, for an error that says why a start failed. */
export async function tail(file: string, lines = 20): Promise<string> {
  try {
    const text = (await readFile(file, 'utf8')).trimEnd();
    return text ? text.split('\n').slice(-lines).join('\n') : '(empty)';
  } catch {
    return '(none)';
  }
}

async function logTails(spec: ComponentSpec): Promise<string> {
  return [
    `last lines of ${spec.logFile}:\n${await tail(spec.logFile)}`,
    `${spec.consoleFile}:\n${await tail(spec.consoleFile)}`,
  ].join('\n');
}

async function waitReady(
  spec: ComponentSpec,
  proc: RecordedProcess,
  ctx: ProbeContext,
): Promise<void> {
  const { clock } = ctx;
  const limit = readyTimeoutMs[spec.name];
  const deadline = clock.now() + limit;
  while (clock.now() < deadline) {
    if (!isOurs(proc)) {
      // Until the daemon's exec completes, /proc shows another command line (unshare's) or,
      // for a moment inside exec, an empty one: only a process that is gone has failed.
      if (!hasExited(proc.pid)) {
        await clock.sleep(5);
        continue;
      }
      throw new Error(`${spec.name} exited while starting; ${await logTails(spec)}`);
    }
    if (await isReady(spec.name, proc, ctx)) return;
    await clock.sleep(50);
  }
  throw new Error(
    `${spec.name} was not ready within ${String(limit / 1000)} s; ${await logTails(spec)}`,
  );
}

/** The database file and schema of each ovsdb-server. */
const databases: Partial<
  Record<ComponentName, (l: OvnLayout, s: OvnSchemas) => readonly [string, string]>
> = {
  'ovsdb-nb': (l, s) => [l.nb.db, s.nb],
  'ovsdb-sb': (l, s) => [l.sb.db, s.sb],
  'ovsdb-vswitch': (l, s) => [l.vswitch.db, s.vswitch],
};

/**
 * Starts one component of the instance `state` records (its database made or converted
 * first), records its PID in the run folder and waits until it is ready.
 */
export async function launch(
  layout: OvnLayout,
  state: OvnState,
  name: ComponentName,
  clock: Clock,
): Promise<RecordedProcess> {
  const install = selectedInstall();
  const spec = componentSpec(name, layout, state.ports, install.tool);
  // One killed a moment ago may still hold the socket, port and pidfile this one needs.
  for (const old of state.processes.filter((p) => p.name === name)) await awaitExit(old);
  const db = databases[name]?.(layout, install.schemas);
  // Before a start: the database exists and matches the schema of the OVN that serves it
  // (made by another version, it is converted).
  if (db) await ensureDatabase(layout, db[0], db[1], install.tool);
  const started = startDetached(name, spec.command, spec.args, spec.consoleFile, ovsEnv(layout));
  // Through a loader, the PID's executable is the loader: its command line names the program.
  const proc: RecordedProcess = {
    ...started,
    binary: spec.binary,
    ...(spec.leading.length > 0 ? { leading: spec.leading } : {}),
  };
  state.processes = [...state.processes.filter((p) => p.name !== name), proc];
  // Record the PID before waiting, so `down` can stop it even if readiness never comes.
  await writeState(layout, state);
  const ctx: ProbeContext = { layout, ports: state.ports, options: state.options, clock };
  await waitReady(spec, proc, ctx);
  if (name === 'ovsdb-vswitch') await configureChassis(layout, state.options);
  return proc;
}

/** Which recorded processes are alive, and whether the whole instance does its job. */
export async function status(layout: OvnLayout, run: RunOptions = {}): Promise<OvnStatus> {
  const state = await readState(layout);
  if (!state) return { state, alive: {}, componentReady: {}, ready: false };
  const alive: OvnStatus['alive'] = Object.fromEntries(
    state.processes.map((p) => [p.name, isOurs(p)]),
  );
  const ctx: ProbeContext = {
    layout,
    ports: state.ports,
    options: state.options,
    clock: run.clock ?? realClock,
  };
  const componentReady: OvnStatus['componentReady'] = {};
  for (const name of componentOrder(state.options)) {
    const proc = state.processes.find((p) => p.name === name);
    componentReady[name] = !!proc && alive[name] === true && (await isReady(name, proc, ctx));
  }
  const ready = Object.values(componentReady).every(Boolean);
  return { state, alive, componentReady, ready };
}

function defaultChassis(): string {
  return os.hostname();
}

/**
 * Starts the OVN northbound and southbound databases and ovn-northd, and with `dataPlane`
 * Open vSwitch (userspace datapath) and ovn-controller as one chassis; waits until each does
 * its job. Idempotent, and brings up only what is down: a component that runs is left alone
 * (its PID, and with ovs-vswitchd every port plugged into br-int, stay), one that died is
 * started again on the same database, socket and port (`planUp` says exactly what happens).
 * Options not given are those of the previous run.
 */
export async function up(layout: OvnLayout, options: UpOptions = {}): Promise<OvnInfo> {
  const log = options.log ?? (() => undefined);
  const clock = options.clock ?? realClock;
  const previous = await readState(layout);
  const wanted: OvnOptions = {
    dataPlane: options.dataPlane ?? previous?.options.dataPlane ?? false,
    chassis: options.chassis ?? previous?.options.chassis ?? defaultChassis(),
  };
  requireValidChassisName(wanted.chassis);
  const { tool } = selectedInstall();
  for (const t of [...requiredTools.control, ...(wanted.dataPlane ? requiredTools.data : [])]) {
    tool(t);
  }

  const current = await status(layout, { clock });
  if (
    current.state &&
    current.ready &&
    current.state.options.dataPlane === wanted.dataPlane &&
    current.state.options.chassis === wanted.chassis
  ) {
    log(`OVN already running in ${layout.runDir}`);
    return {
      connection: connectionFor(layout, current.state.ports),
      options: current.state.options,
      processes: current.state.processes,
      started: false,
    };
  }

  const plan = planUp(previous?.options, wanted, current.alive);
  const recorded = previous?.processes ?? [];
  if (plan.stop.includes('ovs-vswitchd')) {
    for (const g of await removeAllGuests(layout)) log(`removed the guest of ${g.nic}`);
  }
  for (const name of [...plan.stop].reverse()) {
    for (const proc of recorded.filter((p) => p.name === name)) {
      log(`stopping ${name} (pid ${String(proc.pid)}): not wanted with ${JSON.stringify(wanted)}`);
      await stopProcess(proc);
    }
  }
  for (const dir of [layout.logDir, layout.dbDir, layout.etcDir, layout.ovsRunDir]) {
    await mkdir(dir, { recursive: true });
  }
  const kept = (name: ComponentName) => plan.keep.includes(name);
  const state: OvnState = {
    ports: await choosePorts(previous?.ports, { nb: kept('ovsdb-nb'), sb: kept('ovsdb-sb') }),
    options: wanted,
    // The dead stay recorded until replaced: a successor first waits for them to let go.
    processes: recorded.filter((p) => !plan.stop.includes(p.name as ComponentName)),
  };
  await writeState(layout, state);
  const startedNow: RecordedProcess[] = [];
  try {
    for (const name of componentOrder(wanted)) {
      const began = clock.now();
      const survivor = kept(name) ? state.processes.find((p) => p.name === name) : undefined;
      if (survivor) {
        if (name === 'ovsdb-vswitch') await configureChassis(layout, wanted);
        // A survivor may be reconnecting to a database that was down: give it its time.
        if (await readyInTime(layout, state, name, survivor, clock)) {
          log(`${name} kept (pid ${String(survivor.pid)})`);
          continue;
        }
        log(`${name} (pid ${String(survivor.pid)}) runs but is not ready: restarting it`);
        await stopProcess(survivor);
      }
      const proc = await launch(layout, state, name, clock);
      startedNow.push(proc);
      const seconds = ((clock.now() - began) / 1000).toFixed(2);
      log(`${name} ready in ${seconds} s (pid ${String(proc.pid)})`);
    }
  } catch (err) {
    await rollBack(layout, state, startedNow);
    throw err;
  }
  if (startedNow.some((p) => p.name === 'ovs-vswitchd')) {
    const { replugged, failed } = await replugGuests(layout);
    for (const g of replugged) log(`plugged the guest of ${g.nic} in again`);
    for (const f of failed) log(`could not plug a guest in again: ${f}`);
    for (const c of await relinkHub(layout, clock)) log(`linked chassis ${c} again`);
  }
  return {
    connection: connectionFor(layout, state.ports),
    options: wanted,
    processes: state.processes,
    started: startedNow.length > 0,
  };
}

async function readyInTime(
  layout: OvnLayout,
  state: OvnState,
  name: ComponentName,
  proc: RecordedProcess,
  clock: Clock,
): Promise<boolean> {
  const spec = componentSpec(name, layout, state.ports, selectedInstall().tool);
  const ctx: ProbeContext = { layout, ports: state.ports, options: state.options, clock };
  try {
    await waitReady(spec, proc, ctx);
    return true;
  } catch {
    return false;
  }
}

/** Stops exactly the processes recorded by `up`; the databases stay unless purged. */
export async function down(
  layout: OvnLayout,
  opts: RunOptions & { purge?: boolean } = {},
): Promise<void> {
  const log = opts.log ?? (() => undefined);
  const state = await readState(layout);
  // The extra chassis first: this chassis is their hub, and its database their southbound.
  await downAllChassis(layout, { log, purge: opts.purge });
  // Guests first: their ports are in br-int, and their namespaces outlive the data plane.
  for (const g of await removeAllGuests(layout)) log(`removed the guest of ${g.nic}`);
  if (state) {
    await stopRecorded(state);
    for (const p of state.processes) log(`stopped ${p.name} (pid ${String(p.pid)})`);
    await writeState(layout, { ...state, processes: [] });
  } else {
    log(`no OVN instance recorded in ${layout.runDir}`);
  }
  if (opts.purge) await rm(layout.runDir, { recursive: true, force: true });
}

/** Stops one component, e.g. the northbound database, to test how clients ride out an outage. */
export async function stopComponent(layout: OvnLayout, name: ComponentName): Promise<void> {
  const state = await requireState(layout);
  for (const proc of state.processes.filter((p) => p.name === name)) {
    await stopProcess(proc);
  }
  await writeState(layout, { ...state, processes: state.processes.filter((p) => p.name !== name) });
}

/**
 * Starts one component that is not running (stopped, or killed) on the same sockets, ports
 * and database, and waits until it is ready.
 */
export async function startComponent(
  layout: OvnLayout,
  name: ComponentName,
  run: RunOptions = {},
): Promise<RecordedProcess> {
  const state = await requireState(layout);
  if (!componentOrder(state.options).includes(name)) {
    throw new Error(
      `${name} is not part of this instance (data plane: ${String(state.options.dataPlane)})`,
    );
  }
  const running = state.processes.find((p) => p.name === name && isOurs(p));
  if (running) return running;
  return launch(layout, state, name, run.clock ?? realClock);
}
