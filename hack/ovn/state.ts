// The run folder's record of one OVN instance: what `up` chose and started. Kept apart from
// starting and stopping, so the guests of the data plane can read it without a cycle.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { isOurs, stopProcess, type RecordedProcess } from '../cluster/index.ts';
import { componentOrder, type OvnOptions, type Ports } from './components.ts';
import type { OvnLayout } from './layout.ts';

/** What `up` records in the run folder: the ports it chose, its options, the PIDs it started. */
export interface OvnState {
  ports: Ports;
  options: OvnOptions;
  processes: RecordedProcess[];
}

export async function readState(layout: OvnLayout): Promise<OvnState | undefined> {
  if (!existsSync(layout.stateFile)) return undefined;
  return JSON.parse(await readFile(layout.stateFile, 'utf8')) as OvnState;
}

export async function writeState(layout: OvnLayout, state: OvnState): Promise<void> {
  await writeFile(layout.stateFile, JSON.stringify(state, null, 2) + '\n');
}

export async function requireState(layout: OvnLayout): Promise<OvnState> {
  const state = await readState(layout);
  if (!state) throw new Error(`no OVN instance recorded in ${layout.runDir}`);
  return state;
}

/** Stops every recorded process, in reverse start order whatever the options were. */
export async function stopRecorded(state: OvnState): Promise<void> {
  for (const name of componentOrder({ dataPlane: true }).reverse()) {
    for (const proc of state.processes.filter((p) => p.name === name)) await stopProcess(proc);
  }
}

/**
 * Undoes a start that failed half-way: the processes this call started are stopped, newest
 * first, and dropped from the record; what ran before keeps running.
 */
export async function rollBack(
  layout: OvnLayout,
  state: OvnState,
  startedNow: readonly RecordedProcess[],
): Promise<void> {
  for (const proc of [...startedNow].reverse()) await stopProcess(proc);
  const pids = new Set(startedNow.map((p) => p.pid));
  await writeState(layout, {
    ...state,
    processes: state.processes.filter((p) => !pids.has(p.pid)),
  });
}

/**
 * The network namespace ovs-vswitchd runs in, where its br-int and port devices are:
 * `nsenter --net=<path> ip link` shows them.
 */
export async function dataPlaneNetns(layout: OvnLayout): Promise<string> {
  const state = await readState(layout);
  const vswitchd = state?.processes.find((p) => p.name === 'ovs-vswitchd');
  if (!vswitchd || !isOurs(vswitchd)) {
    throw new Error(
      `the OVN data plane (ovs-vswitchd) is not running in ${layout.runDir}: start it with \`hack/ovn.sh up --data-plane\``,
    );
  }
  return `/proc/${String(vswitchd.pid)}/ns/net`;
}
