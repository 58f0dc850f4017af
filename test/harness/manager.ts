import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../../controllers/index.ts';
import { Manager, type ManagerOptions } from '../../controllers/manager/index.ts';
import { testKubeconfigPath } from './env.ts';
import { waitFor } from './wait.ts';

export interface RunningManager {
  mgr: Manager;
  /** Stops the manager and waits until it has released everything. */
  stop(): Promise<void>;
}

/**
 * Runs a Manager inside the test process against the test cluster. `setup` adds controllers
 * before it starts; the returned handle stops it.
 */
export async function startManager(
  setup: (mgr: Manager) => void,
  opts: Partial<ManagerOptions> & { kubeconfigPath?: string } = {},
): Promise<RunningManager> {
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromFile(opts.kubeconfigPath ?? testKubeconfigPath());
  const mgr = new Manager({
    kubeconfig,
    log: createLogger(
      'test-manager',
      process.env.KCLOUD_TEST_LOG_LEVEL === 'debug' ? 'debug' : 'error',
    ),
    identity: `test-${String(process.pid)}`,
    ...opts,
  });
  setup(mgr);
  const stop = new AbortController();
  const running = mgr.run(stop.signal);
  await waitFor(() => mgr.isReady(), { timeoutMs: 60_000, what: 'the manager to be ready' });
  return {
    mgr,
    stop: async () => {
      stop.abort(new Error('test over'));
      await running;
    },
  };
}

/** A fresh temporary folder, removed by the returned cleanup. */
export async function tempDir(
  prefix: string,
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `kcloud-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
