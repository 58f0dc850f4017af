import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  down,
  repoRoot,
  runLayout,
  up,
  type ClusterInfo,
  type RunLayout,
} from '../../hack/cluster/index.ts';

export interface ControlPlane {
  layout: RunLayout;
  info: ClusterInfo;
}

export interface ControlPlaneOptions {
  /** Names the run folder, `.local/bench-runs/<name>-<pid>-<time>/`. */
  name: string;
  /** Keep the run folder (data and component logs) after stopping. */
  keep?: boolean;
  log?: (line: string) => void;
}

/**
 * Runs `fn` against a control plane of its own, started in a fresh folder with etcd fsyncing as
 * in production (timings on unsynced storage would flatter every write). The control plane is
 * stopped by its recorded PIDs when `fn` settles, and also on SIGINT or SIGTERM, so an
 * interrupted run leaves nothing behind.
 */
export async function withControlPlane<R>(
  opts: ControlPlaneOptions,
  fn: (cp: ControlPlane) => Promise<R>,
): Promise<R> {
  const log = opts.log ?? (() => undefined);
  const runDir = path.join(
    repoRoot,
    '.local',
    'bench-runs',
    `${opts.name}-${process.pid}-${Date.now()}`,
  );
  await mkdir(runDir, { recursive: true });
  const layout = runLayout(runDir);
  // One stop for both ways out (a signal, and the end of `fn` that the signal causes).
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= down(layout, { purge: !opts.keep }, log));
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the control plane`);
    void stop().finally(() => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const started = Date.now();
    const info = await up(layout, { unsafeNoFsync: false }, log);
    log(`control plane up in ${((Date.now() - started) / 1000).toFixed(1)} s (${runDir})`);
    return await fn({ layout, info });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stop();
  }
}
