// kcloud-manager with the vpc operator, run as its own process (as in a pod), so its memory is
// its own and the benchmark's informers and clients are not counted in it.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../controllers/clock/index.ts';
import { freePort, repoRoot, residentBytes } from '../../hack/cluster/index.ts';
import { findTool, searchDirs } from '../../hack/ovn/tools.ts';
import { until } from '../lib/until.ts';

export interface ManagerProcessOptions {
  kubeconfigPath: string;
  namespace: string;
  nbEndpoint: string;
  logFile: string;
  clock: Clock;
}

export class ManagerProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  /** host:port of its /healthz, /readyz and /metrics. */
  readonly health: string;
  private readonly exited: Promise<void>;

  private constructor(child: ChildProcess, logFile: string, health: string) {
    this.child = child;
    this.logFile = logFile;
    this.health = health;
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else
        child.once('exit', () => {
          resolve();
        });
    });
  }

  /** Starts the manager on `namespace` and waits until /readyz answers 200. */
  static async start(opts: ManagerProcessOptions): Promise<ManagerProcess> {
    const setpriv = findTool('setpriv', searchDirs());
    if (!setpriv) throw new Error('setpriv not found: run `make setup` (util-linux)');
    const health = `127.0.0.1:${await freePort()}`;
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
          path.join(repoRoot, 'operators', 'manager', 'main.ts'),
          `--kubeconfig=${opts.kubeconfigPath}`,
          '--operators=vpc',
          `--namespace=${opts.namespace}`,
          '--leader-elect=false',
          `--ovn-nb=${opts.nbEndpoint}`,
          `--health-addr=${health}`,
          '--identity=kcloud-bench-vpc',
          '--log-level=warn',
        ],
        { stdio: ['ignore', fd, fd] },
      );
    } finally {
      closeSync(fd);
    }
    const m = new ManagerProcess(child, opts.logFile, health);
    try {
      await until(
        async () => {
          if (!m.running()) throw new Error(`the manager exited; see ${opts.logFile}`);
          try {
            return (await fetch(`http://${health}/readyz`)).status === 200;
          } catch {
            return false;
          }
        },
        { clock: opts.clock, timeoutMs: 120_000, what: 'the manager to be ready', intervalMs: 50 },
      );
    } catch (err) {
      await m.stop();
      throw err;
    }
    return m;
  }

  /** Its /metrics, Prometheus text. */
  async metrics(): Promise<string> {
    const res = await fetch(`http://${this.health}/metrics`);
    if (res.status !== 200) throw new Error(`GET /metrics of the manager: ${res.status}`);
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
