// What a run must not leave behind, and how an interrupted run still leaves nothing: the
// agent's VMs run daemonized (they outlive the agent by design), so they are killed by the
// PIDs in their pid files (checked against the UUID in /proc/<pid>/cmdline) before the data
// plane they are plugged into goes.
import { readdirSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { vsctl, type OvnLayout } from '../../hack/ovn/index.ts';
import { findVmProcess, runPaths, vmsDir } from '../../operators/ecs/backend/qemu/index.ts';
import { vmIdKey } from '../../operators/ecs/handler/taps.ts';

async function entries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** Kills every VM that still runs from `stateDir`'s run directories; returns their UUIDs. */
export async function killVms(stateDir: string): Promise<string[]> {
  const killed: string[] = [];
  for (const uuid of await entries(vmsDir(stateDir))) {
    const pid = await findVmProcess(runPaths(stateDir, uuid).pidFile, uuid);
    if (pid === undefined) continue;
    process.kill(pid, 'SIGKILL');
    killed.push(uuid);
  }
  return killed;
}

/** killVms for a signal handler or `exit`, where nothing asynchronous runs any more. */
export function killVmsNow(stateDir: string): void {
  let uuids: string[];
  try {
    uuids = readdirSync(vmsDir(stateDir));
  } catch {
    return;
  }
  for (const uuid of uuids) {
    try {
      const pid = Number(readFileSync(runPaths(stateDir, uuid).pidFile, 'utf8').trim());
      const args = readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8').split('\0');
      if (args[args.indexOf('-uuid') + 1] === uuid) process.kill(pid, 'SIGKILL');
    } catch {
      // No pid file, or the process is gone.
    }
  }
}

/** What is left of VMs: run directories, seeds, and taps (ports carrying a VM's UUID) in br-int. */
export async function leftovers(opts: {
  ovn: OvnLayout;
  stateDirs: string[];
  seedsDir: string;
}): Promise<string[]> {
  const left: string[] = [];
  for (const dir of opts.stateDirs) {
    for (const e of await entries(vmsDir(dir))) {
      left.push(`run directory ${path.join(vmsDir(dir), e)}`);
    }
  }
  for (const e of await entries(opts.seedsDir)) left.push(`seed ${path.join(opts.seedsDir, e)}`);
  const ports = await vsctl(opts.ovn, [
    '--format=json',
    '--columns=name,external_ids',
    'list',
    'Interface',
  ]);
  if (ports.code !== 0) throw new Error(`ovs-vsctl list Interface: ${ports.stderr.trim()}`);
  const table = JSON.parse(ports.stdout) as { data: [string, ['map', [string, string][]]][] };
  for (const [name, [, ids]] of table.data) {
    const vm = ids.find(([k]) => k === vmIdKey);
    if (vm) left.push(`tap ${name} of VM ${vm[1]} in Open vSwitch`);
  }
  return left;
}
