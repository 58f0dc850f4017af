// A kcloud program (the manager, the agent) run by a benchmark as its own process: started
// under a parent-death signal so it never outlives the benchmark, ready when its /readyz says
// so, stopped by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Clock } from '../../controllers/clock/index.ts';
import { freePort, residentBytes } from '../../hack/cluster/index.ts';
import { findTool, searchDirs } from '../../hack/ovn/tools.ts';
import { until } from './until.ts';

export interface DaemonOptions {
  /** For messages: `kcloud-agent`, `the manager`. */
  what: string;
  /** The program (a .ts file), run by this Node. */
  script: string;
  /** Its flags besides --health-addr, which the daemon gets on a free port. */
  args: string[];
  logFile: string;
  clock: Clock;
  pollMs?: number;
}

export class DaemonProcess {
  readonly child: ChildProcess;
  readonly what: string;
  readonly logFile: string;
  /** host:port of its /healthz, /readyz and /metrics. */
  readonly health: string;
  private readonly exited: Promise<void>;

  private constructor(child: ChildProcess, opts: DaemonOptions, health: string) {
    this.child = child;
    this.what = opts.what;
    this.logFile = opts.logFile;
    this.health = health;
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else
        child.once('exit', () => {
          resolve();
        });
    });
  }

  /** Starts the program and waits until its /readyz answers 200. */
  static async start(opts: DaemonOptions): Promise<DaemonProcess> {
    const setpriv = findTool('setpriv', searchDirs());
    if (!setpriv) throw new Error('setpriv not found: run `make setup` (util-linux)');
    const health = `127.0.0.1:${String(await freePort())}`;
    const fd = openSync(opts.logFile, 'a');
    let child: ChildProcess;
    try {
      // setpriv execs node with a parent-death signal: if the benchmark dies, so does this.
      child = spawn(
        setpriv,
        [
          '--pdeathsig',
          'TERM',
          '--',
          process.execPath,
          opts.script,
          `--health-addr=${health}`,
          ...opts.args,
        ],
        { stdio: ['ignore', fd, fd] },
      );
    } finally {
      closeSync(fd);
    }
    const daemon = new DaemonProcess(child, opts, health);
    try {
      await until(
        async () => {
          if (!daemon.running()) throw new Error(`${opts.what} exited; see ${opts.logFile}`);
          try {
            return (await fetch(`http://${health}/readyz`)).status === 200;
          } catch {
            return false;
          }
        },
        {
          clock: opts.clock,
          timeoutMs: 120_000,
          what: `${opts.what} to be ready`,
          intervalMs: opts.pollMs ?? 100,
        },
      );
    } catch (err) {
      await daemon.stop();
      throw err;
    }
    return daemon;
  }

  /** Its /metrics, Prometheus text. */
  async metrics(): Promise<string> {
    const res = await fetch(`http://${this.health}/metrics`);
    if (res.status !== 200) throw new Error(`GET /metrics of ${this.what}: ${String(res.status)}`);
    return res.text();
  }

  running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resident memory now, from /proc. */
  rssBytes(): number {
    return this.child.pid === undefined || !this.running() ? 0 : residentBytes(this.child.pid);
  }

  /** Sends SIGTERM at once, without waiting: for a signal handler. */
  terminate(): void {
    if (this.running()) this.child.kill('SIGTERM');
  }

  /** SIGTERM, SIGKILL after 15 s; resolves once the process has exited. */
  async stop(): Promise<void> {
    if (!this.running()) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.running()) this.child.kill('SIGKILL');
    }, 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}
