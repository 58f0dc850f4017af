// kcloud-agent as a real process for the benchmark, as a host runs it: its own host certificate,
// its own view of the filesystem (--host-root), stopped by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../controllers/clock/index.ts';
import { freePort, repoRoot } from '../../hack/cluster/index.ts';
import { findTool, searchDirs } from '../../hack/ovn/tools.ts';
import { until } from '../lib/until.ts';

export interface AgentProcessOptions {
  /** The agent's flags besides --health-addr. */
  args: string[];
  logFile: string;
  clock: Clock;
}

export class AgentProcess {
  readonly child: ChildProcess;
  /** host:port of its /healthz, /readyz and /metrics. */
  readonly health: string;
  private readonly exited: Promise<void>;

  private constructor(child: ChildProcess, health: string) {
    this.child = child;
    this.health = health;
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else
        child.once('exit', () => {
          resolve();
        });
    });
  }

  /** Starts kcloud-agent and waits until its /readyz answers 200. */
  static async start(opts: AgentProcessOptions): Promise<AgentProcess> {
    const setpriv = findTool('setpriv', searchDirs());
    if (!setpriv) throw new Error('setpriv not found: run `make setup` (util-linux)');
    const health = `127.0.0.1:${await freePort()}`;
    const fd = openSync(opts.logFile, 'a');
    let child: ChildProcess;
    try {
      // setpriv execs node with a parent-death signal: if the benchmark dies, so does the agent.
      child = spawn(
        setpriv,
        [
          '--pdeathsig',
          'TERM',
          '--',
          process.execPath,
          path.join(repoRoot, 'agent', 'main.ts'),
          `--health-addr=${health}`,
          ...opts.args,
        ],
        { stdio: ['ignore', fd, fd] },
      );
    } finally {
      closeSync(fd);
    }
    const agent = new AgentProcess(child, health);
    try {
      await until(
        async () => {
          if (!agent.running()) throw new Error(`kcloud-agent exited; see ${opts.logFile}`);
          try {
            return (await fetch(`http://${health}/readyz`)).status === 200;
          } catch {
            return false;
          }
        },
        {
          clock: opts.clock,
          timeoutMs: 120_000,
          what: 'kcloud-agent to be ready',
          intervalMs: 100,
        },
      );
    } catch (err) {
      await agent.stop();
      throw err;
    }
    return agent;
  }

  /** Its /metrics, Prometheus text. */
  async metrics(): Promise<string> {
    const res = await fetch(`http://${this.health}/metrics`);
    if (res.status !== 200) throw new Error(`GET /metrics of kcloud-agent: ${res.status}`);
    return res.text();
  }

  running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
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
