// The backend of each StoragePool on this host, made from the pool's spec and kept while the
// spec is unchanged.
import path from 'node:path';
import type { Cache } from '../../../controllers/informer/index.ts';
import type { StoragePoolObject } from '../api/index.ts';
import { StorageError, type StorageBackend } from '../backend/index.ts';
import { FilePool } from '../backend/file/file-pool.ts';
import type { PoolBackends } from './pool-backends.ts';

export interface RealPoolBackendsOptions {
  pools: Cache<StoragePoolObject>;
  /** Host directories images may be imported from by path (Image spec.source.hostFile). */
  importRoots: readonly string[];
  /** Where the host's filesystem is: file pool and import paths are read under it. */
  hostRoot: string;
  /**
   * When this agent started: what a pool holds half-built from before is a leftover of a
   * killed attempt, removed when the pool is first used.
   */
  startedAt: Date;
  log?: { info(message: string, meta?: Record<string, unknown>): void };
  /** Makes the backend of an RBD pool (credentials from its Secret). */
  rbd?: (pool: StoragePoolObject, signal: AbortSignal) => Promise<StorageBackend>;
}

export class RealPoolBackends implements PoolBackends {
  private readonly opts: RealPoolBackendsOptions;
  private readonly made = new Map<string, { generation: number; backend: StorageBackend }>();

  constructor(opts: RealPoolBackendsOptions) {
    this.opts = opts;
  }

  async backendFor(name: string, signal: AbortSignal): Promise<StorageBackend> {
    const pool = this.opts.pools.get(name);
    if (!pool) {
      throw new StorageError('PoolUnreachable', `StoragePool ${name} does not exist`);
    }
    const generation = pool.metadata.generation ?? 0;
    const known = this.made.get(name);
    if (known && known.generation === generation) return known.backend;
    const backend = await this.make(pool, signal);
    this.made.set(name, { generation, backend });
    const removed = await backend.cleanupPartials(this.opts.startedAt, signal);
    if (removed.length > 0) {
      this.opts.log?.info('removed half-built objects left by an earlier run', {
        storagePool: name,
        removed,
      });
    }
    return backend;
  }

  private async make(pool: StoragePoolObject, signal: AbortSignal): Promise<StorageBackend> {
    const { file } = pool.spec;
    // A file pool's directory is never made here: it exists on the hosts that offer the pool
    // (a Local pool's own directory, a Shared pool's mount). Made by mistake, it would put
    // volumes on a disk nobody chose, or on a host's own disk instead of the shared one.
    if (pool.spec.type === 'File' && file) {
      return new FilePool({ dir: this.hostPath(file.path), importRoots: this.opts.importRoots });
    }
    if (pool.spec.type === 'RBD' && this.opts.rbd) return this.opts.rbd(pool, signal);
    throw new StorageError('PoolUnreachable', `this agent cannot use ${pool.spec.type} pools`);
  }

  /** A host path as this process sees it. */
  hostPath(p: string): string {
    return path.join(this.opts.hostRoot, p);
  }
}
