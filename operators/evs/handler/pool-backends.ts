// The storage backend of each pool this host reaches, made from the StoragePool's spec.
import { ReconcileError } from '../../../controllers/external/index.ts';
import type { StorageBackend } from '../backend/index.ts';

/** Gives the backend of a pool by name; `PoolUnreachable`/`StoragePoolNotFound` otherwise. */
export interface PoolBackends {
  backendFor(pool: string, signal: AbortSignal): Promise<StorageBackend>;
}

/** The pool a handler object is placed in, from the status the scheduler wrote. */
export function placedPool(obj: { status?: { storagePool?: string } }): string | undefined {
  return obj.status?.storagePool;
}

/**
 * Whether the scheduler's placement status is there: the agent acts on an object only then
 * (the label that hands it over comes in a write of its own, often seen first).
 */
export function isPlaced(obj: { status?: { storagePool?: string } }): boolean {
  return placedPool(obj) !== undefined;
}

/**
 * What an object the scheduler has not placed yet looks like: once deleted, nothing to delete;
 * otherwise work in progress (the label and the status come in two writes). The agent's
 * controllers do not act on such an object (actsOn: isPlaced) but to delete it, so the second
 * answer is for a caller of the client outside them.
 */
export function notPlaced(obj: { metadata: { deletionTimestamp?: string } }): {
  exists: false;
  upToDate: false;
  inProgress?: { reason: string; message: string; requeueAfterMs: number };
} {
  if (obj.metadata.deletionTimestamp) return { exists: false, upToDate: false };
  return {
    exists: false,
    upToDate: false,
    inProgress: {
      reason: 'WaitingForPlacement',
      message: 'the scheduler has not written the storage pool yet',
      requeueAfterMs: 1_000,
    },
  };
}

export function notPlacedYet(): ReconcileError {
  return new ReconcileError(
    'WaitingForPlacement',
    'the scheduler has not written the storage pool yet',
  );
}
