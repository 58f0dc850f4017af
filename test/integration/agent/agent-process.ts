// kcloud-agent as a real process for tests, as a DaemonSet or make demo runs it: started with a
// host's (or a simulator's) certificate, stopped by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, repoRoot, runLayout } from '../../../hack/cluster/index.ts';
import { writeAgentKubeconfig } from '../../../hack/demo/agent-access.ts';
import { envKeys } from '../../harness/env.ts';
import { readyz, waitFor } from '../../harness/index.ts';

export interface AgentProcess {
  child: ChildProcess;
  healthAddr: string;
  logFile: string;
  exited: Promise<number | string>;
  /** Stops it with `signal` (SIGKILL: a crash) and waits until it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * A kubeconfig for the agent of `host` (or, with `simulator`, for kcloud:simulator:<host>),
 * signed by the test cluster's CA.
 */
export async function agentKubeconfig(
  adminKubeconfig: string,
  dir: string,
  host: string,
  opts: { simulator?: boolean } = {},
): Promise<string> {
  const runDir = process.env[envKeys.runDir];
  if (!runDir) {
    throw new Error(
      'signing agent certificates needs the test cluster’s CA: run without KCLOUD_TEST_KUBECONFIG',
    );
  }
  return writeAgentKubeconfig(runLayout(runDir).pkiDir, adminKubeconfig, dir, host, opts);
}

/** Starts kcloud-agent with `args` and waits until its /readyz answers 200. */
export async function startAgent(
  name: string,
  args: string[],
  logDir: string,
): Promise<AgentProcess> {
  const healthAddr = `127.0.0.1:${String(await freePort())}`;
  const logFile = path.join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'agent/main.ts'), `--health-addr=${healthAddr}`, ...args],
    { stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const agent: AgentProcess = {
    child,
    healthAddr,
    logFile,
    exited,
    stop: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  let done = false;
  void exited.then(() => {
    done = true;
  });
  await waitFor(
    async () => {
      if (done) {
        throw new Error(`kcloud-agent ${name} exited:\n${readFileSync(logFile, 'utf8')}`);
      }
      return readyz(healthAddr);
    },
    { timeoutMs: 60_000, what: `kcloud-agent ${name} to be ready` },
  );
  return agent;
}
