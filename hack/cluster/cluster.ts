import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  componentOrder,
  componentSpec,
  type ComponentName,
  type ComponentOptions,
  type Ports,
} from './components.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { binary, type RunLayout } from './layout.ts';
import { ensurePki, pkiPaths, type Pki } from './pki.ts';
import { freePort, portIsFree } from './ports.ts';
import { get, isHealthy } from './probe.ts';
import {
  hasExited,
  isOurs,
  startDetached,
  stopProcess,
  type RecordedProcess,
} from './processes.ts';

/** What `up` records in the run folder: the ports it chose and the PIDs it started. */
export interface ClusterState {
  ports: Ports;
  options: ComponentOptions;
  processes: RecordedProcess[];
}

export interface ClusterInfo {
  kubeconfig: string;
  server: string;
  processes: RecordedProcess[];
  /** False when `up` found the cluster already running and started nothing. */
  started: boolean;
}

type Log = (line: string) => void;

const readyTimeoutMs: Record<ComponentName, number> = {
  etcd: 30_000,
  'kube-apiserver': 180_000,
  'kube-controller-manager': 60_000,
};

export async function readState(layout: RunLayout): Promise<ClusterState | undefined> {
  if (!existsSync(layout.stateFile)) return undefined;
  return JSON.parse(await readFile(layout.stateFile, 'utf8')) as ClusterState;
}

async function writeState(layout: RunLayout, state: ClusterState): Promise<void> {
  await writeFile(layout.stateFile, JSON.stringify(state, null, 2) + '\n');
}

function requireBinaries(): void {
  const missing = (['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl'] as const)
    .map((b) => binary(b))
    .filter((b) => !existsSync(b));
  if (missing.length > 0) {
    throw new Error(
      `control-plane binaries missing (${missing.join(', ')}): run \`make setup\` to build them`,
    );
  }
}

async function choosePorts(previous: Ports | undefined): Promise<Ports> {
  // Keep the previous ports when they are free, so kubeconfigs handed out earlier still work.
  if (previous) {
    const ports = [
      previous.etcdClient,
      previous.etcdPeer,
      previous.apiserver,
      previous.controllerManager,
    ];
    const free = await Promise.all(ports.map((p) => portIsFree(p)));
    if (free.every(Boolean)) return previous;
  }
  return {
    etcdClient: await freePort(),
    etcdPeer: await freePort(),
    apiserver: await freePort(),
    controllerManager: await freePort(),
  };
}

async function tail(file: string, lines = 30): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitReady(
  layout: RunLayout,
  pki: Pki,
  proc: RecordedProcess,
  probe: Parameters<typeof isHealthy>[0],
): Promise<void> {
  const name = proc.name as ComponentName;
  const deadline = Date.now() + readyTimeoutMs[name];
  const log = path.join(layout.logDir, `${name}.log`);
  while (Date.now() < deadline) {
    // hasExited, not !isOurs: right after the spawn the command line is empty while it execs.
    if (hasExited(proc.pid)) {
      throw new Error(`${name} exited while starting; last lines of ${log}:\n${await tail(log)}`);
    }
    if (await isHealthy(probe, pki)) return;
    await sleep(100);
  }
  throw new Error(
    `${name} was not ready within ${readyTimeoutMs[name] / 1000} s; last lines of ${log}:\n${await tail(log)}`,
  );
}

async function startComponentProcess(
  layout: RunLayout,
  pki: Pki,
  state: ClusterState,
  name: ComponentName,
): Promise<RecordedProcess> {
  const spec = componentSpec(name, layout, pki, state.ports, state.options);
  const proc = startDetached(name, spec.binary, spec.args, path.join(layout.logDir, `${name}.log`));
  state.processes = [...state.processes.filter((p) => p.name !== name), proc];
  // Record the PID before waiting, so `down` can stop it even if readiness never comes.
  await writeState(layout, state);
  await waitReady(layout, pki, proc, spec.probe);
  return proc;
}

/** The cluster's status: which recorded processes are alive, and whether the API is ready. */
export async function status(layout: RunLayout): Promise<{
  state: ClusterState | undefined;
  alive: Record<string, boolean>;
  ready: boolean;
}> {
  const state = await readState(layout);
  if (!state) return { state, alive: {}, ready: false };
  const alive = Object.fromEntries(state.processes.map((p) => [p.name, isOurs(p)]));
  const pki = pkiPaths(layout.pkiDir);
  const ready =
    componentOrder.every((n) => alive[n] === true) &&
    (await isHealthy(
      componentSpec('kube-apiserver', layout, pki, state.ports, state.options).probe,
      pki,
    ));
  return { state, alive, ready };
}

/**
 * Starts etcd, kube-apiserver and kube-controller-manager, waits for each to be ready and
 * writes the kubeconfig. Idempotent: a running cluster is left alone; the survivors of a
 * crashed one are stopped (by their recorded PIDs) and the whole cluster started afresh on the
 * same data.
 */
export async function up(
  layout: RunLayout,
  options: Partial<ComponentOptions> = {},
  log: Log = () => undefined,
): Promise<ClusterInfo> {
  requireBinaries();
  const current = await status(layout);
  if (current.state && current.ready) {
    log(`cluster already running (kubeconfig ${layout.kubeconfig})`);
    return {
      kubeconfig: layout.kubeconfig,
      server: `https://127.0.0.1:${current.state.ports.apiserver}`,
      processes: current.state.processes,
      started: false,
    };
  }
  if (current.state) {
    const stale = current.state.processes.filter((p) => current.alive[p.name] !== true);
    if (stale.length > 0)
      log(`cleaning stale processes: ${stale.map((p) => `${p.name}(${p.pid})`).join(', ')}`);
    await stopAll(current.state);
  }

  await mkdir(layout.logDir, { recursive: true });
  await mkdir(layout.auditDir, { recursive: true });
  const pki = await ensurePki(layout.pkiDir);
  const state: ClusterState = {
    ports: await choosePorts(current.state?.ports),
    options: {
      unsafeNoFsync: options.unsafeNoFsync ?? current.state?.options.unsafeNoFsync ?? false,
    },
    processes: [],
  };
  // A port found free can be taken by someone else's connection before its component binds
  // it: then the whole control plane starts again on other free ports.
  for (let attempt = 1; ; attempt++) {
    try {
      await startAll(layout, pki, state, log);
      break;
    } catch (err) {
      // Leave nothing half-started behind.
      await stopAll(state);
      await writeState(layout, { ...state, processes: [] });
      if (attempt >= portAttempts || !String(err).includes('address already in use')) throw err;
      log(
        `a port was taken while starting (${(err as Error).message.split('\n')[0] ?? ''}); again on others`,
      );
      state.ports = await choosePorts(undefined);
      state.processes = [];
    }
  }
  const server = `https://127.0.0.1:${state.ports.apiserver}`;
  return { kubeconfig: layout.kubeconfig, server, processes: state.processes, started: true };
}

/** How often `up` starts the control plane on fresh ports after one was taken meanwhile. */
const portAttempts = 3;

async function startAll(layout: RunLayout, pki: Pki, state: ClusterState, log: Log): Promise<void> {
  const server = `https://127.0.0.1:${state.ports.apiserver}`;
  await writeKubeconfig(layout.kubeconfig, server, pki, {
    name: 'kcloud-admin',
    cert: pki.adminCert,
    key: pki.adminKey,
  });
  await writeKubeconfig(layout.controllerManagerKubeconfig, server, pki, {
    name: 'system:kube-controller-manager',
    cert: pki.controllerManagerCert,
    key: pki.controllerManagerKey,
  });
  for (const name of componentOrder) {
    const started = Date.now();
    const proc = await startComponentProcess(layout, pki, state, name);
    log(`${name} ready in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${proc.pid})`);
  }
}

async function stopAll(state: ClusterState): Promise<void> {
  for (const name of [...componentOrder].reverse()) {
    for (const proc of state.processes.filter((p) => p.name === name)) await stopProcess(proc);
  }
}

/** Stops exactly the processes recorded by `up`. Data and certificates stay unless purged. */
export async function down(
  layout: RunLayout,
  opts: { purge?: boolean } = {},
  log: Log = () => undefined,
): Promise<void> {
  const state = await readState(layout);
  if (state) {
    await stopAll(state);
    for (const p of state.processes) log(`stopped ${p.name} (pid ${p.pid})`);
    await writeState(layout, { ...state, processes: [] });
  } else {
    log('no cluster recorded in ' + layout.runDir);
  }
  if (opts.purge) {
    await rm(layout.runDir, { recursive: true, force: true });
    await rm(layout.kubeconfig, { force: true });
  }
}

/** Stops one component (e.g. the API server, to test how clients ride out an outage). */
export async function stopComponent(layout: RunLayout, name: ComponentName): Promise<void> {
  const state = await readState(layout);
  if (!state) throw new Error(`no cluster recorded in ${layout.runDir}`);
  for (const proc of state.processes.filter((p) => p.name === name)) await stopProcess(proc);
  await writeState(layout, { ...state, processes: state.processes.filter((p) => p.name !== name) });
}

/** Starts one stopped component again on the same ports and data, and waits until it is ready. */
export async function startComponent(
  layout: RunLayout,
  name: ComponentName,
): Promise<RecordedProcess> {
  const state = await readState(layout);
  if (!state) throw new Error(`no cluster recorded in ${layout.runDir}`);
  const running = state.processes.find((p) => p.name === name && isOurs(p));
  if (running) return running;
  return startComponentProcess(layout, pkiPaths(layout.pkiDir), state, name);
}

/** The API server's /version, read with the admin credentials. */
export async function serverVersion(layout: RunLayout): Promise<{ gitVersion: string }> {
  const state = await readState(layout);
  if (!state) throw new Error(`no cluster recorded in ${layout.runDir}`);
  const pki = pkiPaths(layout.pkiDir);
  const res = await get(
    { url: `https://127.0.0.1:${state.ports.apiserver}/version`, tls: true, clientCert: true },
    pki,
  );
  return JSON.parse(res.body) as { gitVersion: string };
}
