import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../hack/cluster/index.ts';

export interface ManagerProcess {
  identity: string;
  healthAddr: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  logFile: string;
}

/**
 * Starts kcloud-manager as a real process (as it runs in a pod), logging to a file. Tests stop
 * it by its PID, with the signal the scenario needs (SIGKILL for a crash, SIGTERM for a clean
 * stop).
 */
export function spawnManager(
  args: string[],
  identity: string,
  healthPort: number,
  logDir: string,
): ManagerProcess {
  const logFile = path.join(logDir, `${identity}.log`);
  const fd = openSync(logFile, 'a');
  const healthAddr = `127.0.0.1:${String(healthPort)}`;
  const child = spawn(
    process.execPath,
    [
      path.join(repoRoot, 'operators/manager/main.ts'),
      `--identity=${identity}`,
      `--health-addr=${healthAddr}`,
      ...args,
    ],
    { stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
    });
  });
  return { identity, healthAddr, child, exited, logFile };
}

/** GET /readyz of a manager: true on 200. */
export async function readyz(healthAddr: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${healthAddr}/readyz`);
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Stops a process if it still runs, and waits for it. */
export async function stopIfRunning(
  p: ManagerProcess | undefined,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  await p.exited;
}
