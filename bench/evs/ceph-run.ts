// The benchmark's own Ceph (1 mon, 1 mgr, 1 OSD on a sparse file, loopback only), in a run
// folder beside the control plane's, with one RBD pool and one cephx user confined to it.
import path from 'node:path';
import {
  adminEnv,
  cephDown,
  cephLayout,
  cephUp,
  createClientUser,
  createPool,
  type CephEnv,
  type CephInfo,
} from '../../hack/ceph/index.ts';
import { repoRoot } from '../../hack/cluster/index.ts';

export interface BenchCeph {
  info: CephInfo;
  pool: string;
  /** The pool's restricted user, as the agent and the `rbd clone` loop both run. */
  user: CephEnv & { key: string };
  /** The monitor's msgr v1 address (host:port), as a StoragePool names it. */
  monitor: string;
}

/** `[v2:127.0.0.1:P2,v1:127.0.0.1:P1]` → `127.0.0.1:P1`. */
export function v1Monitor(monHost: string): string {
  const v1 = /v1:([0-9.]+:[0-9]+)/.exec(monHost)?.[1];
  if (!v1) throw new Error(`no v1 monitor address in ${monHost}`);
  return v1;
}

/**
 * Runs `fn` with a Ceph of its own, stopped by its recorded PIDs when `fn` settles (and on
 * SIGINT or SIGTERM); the run folder goes unless `keep`.
 */
export async function withCeph<R>(
  opts: { keep: boolean; log: (line: string) => void },
  fn: (ceph: BenchCeph) => Promise<R>,
): Promise<R> {
  // Short: admin sockets live under it and a Unix socket path holds 107 bytes.
  const layout = cephLayout(
    path.join(repoRoot, '.local', 'bench-runs', `ceph-${String(process.pid)}`),
  );
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= cephDown(layout, { purge: !opts.keep, log: opts.log }));
  const onSignal = () => void stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const started = Date.now();
    const info = await cephUp(layout, { log: opts.log });
    opts.log(`Ceph up in ${((Date.now() - started) / 1000).toFixed(1)} s (${layout.runDir})`);
    const admin = adminEnv(layout);
    const pool = 'bench-evs';
    await createPool(admin, pool, { application: 'rbd' });
    const user = await createClientUser(admin, 'bench-evs', pool);
    return await fn({
      info,
      pool,
      user: { conf: info.conf, keyring: user.keyringPath, id: user.id, key: user.key },
      monitor: v1Monitor(info.monHost),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stop();
  }
}
