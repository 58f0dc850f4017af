// A VM's run directory on its host: <stateDir>/vms/<uuid>/ (the agent's ECS module's folder) with QEMU's sockets, pid file,
// console log and the definition QEMU was started with. The UUID names it, so the agent finds
// every VM it ever started by listing one directory.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../../../controllers/host/index.ts';
import { VmError } from './errors.ts';
import { checkDefinition, type VmDefinition } from './vm-definition.ts';

export interface RunPaths {
  dir: string;
  qmp: string;
  qga: string;
  console: string;
  consoleLog: string;
  pidFile: string;
  definition: string;
}

/** Linux's limit on a unix socket path (sun_path), terminating NUL included. */
const maxSocketPath = 107;

export function vmsDir(stateDir: string): string {
  return path.join(stateDir, 'vms');
}

export function runPaths(stateDir: string, uuid: string): RunPaths {
  const dir = path.join(vmsDir(stateDir), uuid);
  const paths = {
    dir,
    qmp: path.join(dir, 'qmp.sock'),
    qga: path.join(dir, 'qga.sock'),
    // Short: a unix socket's path holds at most 107 bytes, and the state dir comes before it.
    console: path.join(dir, 'con.sock'),
    consoleLog: path.join(dir, 'console.log'),
    pidFile: path.join(dir, 'qemu.pid'),
    definition: path.join(dir, 'vm.json'),
  };
  if (Buffer.byteLength(paths.console) > maxSocketPath) {
    throw new VmError(
      'InvalidDefinition',
      `the state directory ${stateDir} is too long for unix sockets under it (${paths.console} is over ${String(maxSocketPath)} bytes): use a shorter --state-dir`,
    );
  }
  return paths;
}

export { writeFileAtomic };

export async function writeDefinition(paths: RunPaths, def: VmDefinition): Promise<void> {
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  await writeFileAtomic(paths.definition, JSON.stringify(def, null, 2) + '\n');
}

/** The definition in the run directory; undefined when there is none. */
export async function readDefinition(paths: RunPaths): Promise<VmDefinition | undefined> {
  let text: string;
  try {
    text = await readFile(paths.definition, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let def: VmDefinition;
  try {
    def = JSON.parse(text) as VmDefinition;
    checkDefinition(def);
  } catch (err) {
    throw new VmError(
      'InvalidDefinition',
      `${paths.definition} is not a VM definition: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  return def;
}

/** The UUIDs of every run directory (VMs running, stopped or exited). */
export async function listRunDirs(stateDir: string): Promise<string[]> {
  try {
    const entries = await readdir(vmsDir(stateDir), { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && /^[0-9a-f-]{36}$/.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** What a QEMU that did not exit cleanly leaves behind; the console log is kept. */
export async function removeStale(paths: RunPaths): Promise<void> {
  await Promise.all(
    [paths.qmp, paths.qga, paths.console, paths.pidFile].map((f) => rm(f, { force: true })),
  );
}

export async function removeRunDir(paths: RunPaths): Promise<void> {
  await rm(paths.dir, { recursive: true, force: true });
}
