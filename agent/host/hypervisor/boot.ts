// One probe boot: QEMU in a process group of its own, its serial console watched for the
// marker. On the marker or the timeout the whole group is killed, and the answer comes only
// once QEMU has exited, so a probe never leaves a process behind. If the agent itself exits
// mid-probe, the group is killed on the way out.
import { spawn } from 'node:child_process';
import type { BootOutcome, BootRequest } from './types.ts';

/** The console kept for the reason and the log: a kernel's boot messages fit many times over. */
const maxConsoleChars = 256 * 1024;

export interface RunBootOptions {
  /** Told QEMU's PID (also its process group's) once it runs. */
  onStart?: (pid: number) => void;
}

export function runBoot(req: BootRequest, opts: RunBootOptions = {}): Promise<BootOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const child = spawn(req.qemu, req.args, {
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
