import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** A process this cluster started: enough to find it again, and only it, after a restart. */
export interface RecordedProcess {
  name: string;
  pid: number;
  binary: string;
  /** The first argument too, when the binary alone says little (a script run by node). */
  script?: string;
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
  try {
    const stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8');
    // A zombie has exited; it only waits for its parent to reap it.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Stops one recorded process: SIGTERM, then SIGKILL if it has not exited within the grace. */
export async function stopProcess(proc: RecordedProcess, graceMs = 15_000): Promise<void> {
  if (!isOurs(proc)) return;
  process.kill(proc.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOurs(proc)) return;
    await sleep(50);
  }
  if (isOurs(proc)) process.kill(proc.pid, 'SIGKILL');
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
