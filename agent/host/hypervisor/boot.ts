// One probe boot: QEMU in a process group of its own, its serial console watched for the
// marker. On the marker or the timeout the whole group is killed, and the answer comes only
// once QEMU has exited, so a probe never leaves a process behind. If the agent itself exits
// mid-probe, the group is killed on the way out; if it is killed outright, the kernel kills
// QEMU (a parent-death signal set by util-linux's setpriv, when the host has it), so a hung
// guest cannot outlive a crashed agent.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { BootOutcome, BootRequest } from './types.ts';

/** A program as spawn would find it: a path, or a name on PATH; undefined when there is none. */
export function findExecutable(name: string): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '')
        .split(':')
        .filter((d) => d !== '')
        .map((d) => path.join(d, name));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The command that runs QEMU so that it dies with this process. */
export function dyingWithParent(qemu: string, args: string[]): { file: string; args: string[] } {
  const setpriv = findExecutable('setpriv') ?? findExecutable('/usr/bin/setpriv');
  return setpriv === undefined
    ? { file: qemu, args }
    : { file: setpriv, args: ['--pdeathsig', 'KILL', '--', qemu, ...args] };
}

/** The console kept for the reason and the log: a kernel's boot messages fit many times over. */
const maxConsoleChars = 256 * 1024;

export interface RunBootOptions {
  /** Told QEMU's PID (also its process group's) once it runs. */
  onStart?: (pid: number) => void;
}

export function runBoot(req: BootRequest, opts: RunBootOptions = {}): Promise<BootOutcome> {
  // setpriv would report a missing QEMU as its own failure: say it as spawn would.
  if (findExecutable(req.qemu) === undefined) {
    return Promise.resolve({ kind: 'spawn-error', message: `spawn ${req.qemu} ENOENT` });
  }
  const cmd = dyingWithParent(req.qemu, req.args);
  return new Promise((resolve) => {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const child = spawn(cmd.file, cmd.args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) opts.onStart?.(child.pid);
    let consoleText = '';
    let stderr = '';
    let ended: BootOutcome | undefined;
    let spawnError: Error | undefined;

    const killGroup = () => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const onParentExit = () => {
      killGroup();
    };
    process.on('exit', onParentExit);

    const end = (outcome: BootOutcome) => {
      if (ended) return;
      ended = outcome;
      clearTimeout(timer);
      killGroup();
    };

    const timer = setTimeout(() => {
      end({ kind: 'timeout', elapsedMs: elapsed(), console: consoleText });
    }, req.timeoutMs);

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const from = Math.max(0, consoleText.length - req.marker.length);
      consoleText += chunk;
      if (!ended && consoleText.includes(req.marker, from)) {
        end({ kind: 'marker', elapsedMs: elapsed(), console: consoleText });
      }
      if (consoleText.length > maxConsoleChars) consoleText = consoleText.slice(-maxConsoleChars);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < maxConsoleChars) stderr += chunk;
    });
    child.on('error', (err) => {
      spawnError = err;
    });
    // Nothing QEMU started may outlive it (its process group's id stays taken while any
    // member lives), nor hold the answer back by keeping its output open.
    child.on('exit', () => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // The group went with QEMU.
        }
      }
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, 1000).unref();
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('exit', onParentExit);
      if (spawnError && child.pid === undefined) {
        resolve({ kind: 'spawn-error', message: spawnError.message });
        return;
      }
      resolve(ended ?? { kind: 'exited', code, signal, stderr, console: consoleText });
    });
  });
}
