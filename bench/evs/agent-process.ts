// kcloud-agent as a real process for the benchmark, as a host runs it: its own host certificate,
// its own view of the filesystem (--host-root), stopped by its PID.
import path from 'node:path';
import type { Clock } from '../../controllers/clock/index.ts';
import { repoRoot } from '../../hack/cluster/index.ts';
import { DaemonProcess } from '../lib/daemon-process.ts';

export interface AgentProcessOptions {
  /** The agent's flags besides --health-addr. */
  args: string[];
  logFile: string;
  clock: Clock;
}

export type AgentProcess = DaemonProcess;

/** Starts kcloud-agent and waits until its /readyz answers 200. */
export function startAgentProcess(opts: AgentProcessOptions): Promise<AgentProcess> {
  return DaemonProcess.start({
    what: 'kcloud-agent',
    script: path.join(repoRoot, 'agent', 'main.ts'),
    ...opts,
  });
}
