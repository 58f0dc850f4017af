import { spawn } from 'node:child_process';
import { openSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** A process this cluster started: enough to find it again, and only it, after a restart. */
export interface RecordedProcess {
  name: string;
  pid: number;
  binary: string;
  /** The first argument too, when the binary alone says little (a script run by node). */
  script?: string;
  /**
   * The arguments the command line starts with, when the binary is a loader that runs the
   * program named in them (`ld-linux-x86-64.so.2 --library-path <dir> <program>`).
   */
  leading?: readonly string[];
  startedAt: string;
}

/**
 * Starts a long-running binary in its own session so it outlives the command that started it
 * (`make up` returns; the cluster keeps running). Output goes to a log file.
 */
export function startDetached(
  name: string,
  binary: string,
  args: string[],
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): RecordedProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd], env });
    if (child.pid === undefined) throw new Error(`could not start ${binary}`);
    child.unref();
    const script = binary === process.execPath ? args[0] : undefined;
    return {
      name,
      pid: child.pid,
      binary,
      ...(script ? { script } : {}),
      startedAt: new Date().toISOString(),
    };
  } finally {
    closeSync(fd);
  }
}

/**
 * True when the PID is alive and still runs the recorded binary. Checking the executable
 * guards against a PID reused by an unrelated process after a crash or reboot: we never
 * signal a process we did not start.
 */
export function isOurs(proc: RecordedProcess): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8');
  } catch {
    return false;
  }
  const argv = cmdline.split('\0');
  if (argv[0] !== proc.binary) return false;
  if (proc.script !== undefined && argv[1] !== proc.script) return false;
  if (proc.leading?.some((arg, i) => argv[1 + i] !== arg)) return false;
  try {
    const stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8');
    // A zombie has exited; it only waits for its parent to reap it.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Gone, or a zombie whose threads have all ended: it holds nothing any more. (The main thread
 * of a multi-threaded daemon turns zombie while its other threads still run and keep the
 * process's files open.)
 */
export function hasExited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
    return ['Z', 'X'].includes(state) && readdirSync(`/proc/${String(pid)}/task`).length <= 1;
  } catch {
    return true;
  }
}

/**
 * A process between two states in which /proc shows an empty command line: still exec'ing
 * right after it was started, or on its way out with its memory gone but its files
 * (listening sockets, a locked pidfile) not yet closed. `isOurs` says no in both; a PID
 * reused by another program has a command line of its own and is not mistaken for this.
 */
export function isExiting(pid: number): boolean {
  if (hasExited(pid)) return false;
  try {
    return readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8') === '';
  } catch {
    return false;
  }
}

/** Ours, or ours on its way out: still holding what it held. */
function stillThere(proc: RecordedProcess): boolean {
  return isOurs(proc) || isExiting(proc.pid);
}

/** Waits, within a bound, until a recorded process that is exiting has finished. */
export async function awaitExit(proc: RecordedProcess, limitMs = 5_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (isExiting(proc.pid) && Date.now() < deadline) await sleep(10);
}

/**
 * Stops one recorded process: SIGTERM, then SIGKILL if it has not exited within the grace.
 * Returns once it has released everything (its port and pidfile free for a successor).
 */
export async function stopProcess(proc: RecordedProcess, graceMs = 15_000): Promise<void> {
  if (isOurs(proc)) {
    process.kill(proc.pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (stillThere(proc) && Date.now() < deadline) await sleep(50);
    // Only a process that still runs our binary is killed: never a reused PID.
    if (isOurs(proc)) process.kill(proc.pid, 'SIGKILL');
  }
  await awaitExit(proc);
  while (isOurs(proc)) await sleep(20);
}

/** Resident set size in bytes, from /proc; 0 when the process is gone. */
export function residentBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}
