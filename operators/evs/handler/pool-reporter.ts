// Which pools this host reaches, with how much room, in its Host's status: what the scheduler
// places by and what each StoragePool's status sums up.
import {
  applyOwnStatus,
  errorMessage,
  type Cache,
  type Logger,
  type ObjectClient,
} from '../../../controllers/index.ts';
import type { HostObject } from '../../ecs/index.ts';
import type { StoragePoolObject } from '../api/index.ts';
import type { PoolBackends } from './pool-backends.ts';

export interface PoolReporterOptions {
  hosts: readonly string[];
  pools: Cache<StoragePoolObject>;
  backends: PoolBackends;
  hostClient: ObjectClient<HostObject>;
  /** This process's Hosts, as the agent's host-scoped informer holds them. */
  hostCache: Cache<HostObject>;
  fieldManager: string;
  log: Logger;
  now: () => number;
}

export interface PoolOnHost {
  name: string;
  capacityBytes: number;
  availableBytes: number;
}

/** The pools this host reaches now; a pool that cannot be reached is left out, and logged. */
export async function reachablePools(
  opts: Pick<PoolReporterOptions, 'pools' | 'backends' | 'log'>,
  signal: AbortSignal,
): Promise<PoolOnHost[]> {
  const out: PoolOnHost[] = [];
  for (const pool of opts.pools.list()) {
    const name = pool.metadata.name ?? '';
    if (pool.metadata.deletionTimestamp) continue;
    try {
      const backend = await opts.backends.backendFor(name, signal);
      const c = await backend.capacity(signal);
      out.push({ name, capacityBytes: c.totalBytes, availableBytes: c.availableBytes });
    } catch (err) {
      if (signal.aborted) throw err;
      opts.log.info('storage pool not reachable from this host', {
        storagePool: name,
        error: errorMessage(err),
      });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Writes the pools into every host's status (its own field manager); unchanged: no write. */
export async function reportPools(opts: PoolReporterOptions, signal: AbortSignal): Promise<void> {
  const pools = await reachablePools(opts, signal);
  for (const name of opts.hosts) {
    const host = opts.hostCache.get(name);
    if (!host) continue; // Not registered yet: the next round reports.
    await applyOwnStatus(
      opts.hostClient,
      host,
      { fields: { storagePools: pools }, conditions: [] },
      opts.fieldManager,
      new Date(opts.now()),
      signal,
    );
  }
}
