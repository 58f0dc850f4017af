// The agent's side of a VolumeOperation: run it once. Its record is the status: an operation
// with a completionTime has run and is never run again, so applying it twice does nothing.
import { ReconcileError, type ExternalClient } from '../../../controllers/external/index.ts';
import { getCondition } from '../../../controllers/reconcile/index.ts';
import type { VolumeOperationObject } from '../api/index.ts';
import { isStorageError } from '../backend/index.ts';
import { executedCondition, operationRefusals } from '../controller/phases.ts';
import { ownerRef } from './owners.ts';
import type { PoolBackends } from './pool-backends.ts';
import { sourceMissing, type SourceReader } from './sources.ts';

export interface OperationRecord {
  startTime?: string;
  completionTime?: string;
}

const stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export function operationRecord(op: VolumeOperationObject): OperationRecord {
  return {
    ...(op.status?.startTime ? { startTime: op.status.startTime } : {}),
    ...(op.status?.completionTime ? { completionTime: op.status.completionTime } : {}),
  };
}

export interface OperationRunOptions {
  pools: PoolBackends;
  sources: SourceReader;
  now: () => number;
}

export function operationRun(
  _op: VolumeOperationObject,
  opts: OperationRunOptions,
): ExternalClient<VolumeOperationObject, OperationRecord> {
  return {
    observe(obj) {
      // Nothing to wait for: the record is the object's own status.
      return Promise.resolve().then(() => {
        // An operation leaves nothing in the pool: once deleted, there is nothing to remove.
        if (obj.metadata.deletionTimestamp) return { exists: false, upToDate: false };
        const record = operationRecord(obj);
        const done = record.completionTime !== undefined;
        // Ended refused: it stays so (never run later, once the volume changed).
        const executed = getCondition(obj.status?.conditions, executedCondition);
        if (done && executed?.status === 'False' && operationRefusals.has(executed.reason)) {
          throw new ReconcileError(executed.reason, executed.message, { retry: false });
        }
        return { exists: done, upToDate: done, observed: record };
      });
    },
    async create(obj, signal) {
      const ns = obj.metadata.namespace ?? '';
      const started = stamp(opts.now());
      const revert = obj.spec.revert;
      if (revert) {
        const vol = await opts.sources.volume(ns, obj.spec.volumeRef.name, signal);
        if (!vol) throw sourceMissing('Volume', ns, obj.spec.volumeRef.name);
        const snap = await opts.sources.snapshot(ns, revert.snapshotRef.name, signal);
        if (!snap) throw sourceMissing('VolumeSnapshot', ns, revert.snapshotRef.name);
        const pool = (vol.status as { storagePool?: string } | undefined)?.storagePool;
        if (pool === undefined) throw sourceMissing('Volume', ns, obj.spec.volumeRef.name);
        const backend = await opts.pools.backendFor(pool, signal);
        await backend.revertVolume({ ...ownerRef(snap), volumeUid: ownerRef(vol).uid }, signal);
      }
      const reimage = obj.spec.reimage;
      if (reimage) {
        const vol = await opts.sources.volume(ns, obj.spec.volumeRef.name, signal);
        if (!vol) throw sourceMissing('Volume', ns, obj.spec.volumeRef.name);
        const imageNs = reimage.imageRef.namespace ?? ns;
        const image = await opts.sources.image(imageNs, reimage.imageRef.name, signal);
        if (!image) throw sourceMissing('Image', imageNs, reimage.imageRef.name);
        const pool = (vol.status as { storagePool?: string } | undefined)?.storagePool;
        if (pool === undefined) throw sourceMissing('Volume', ns, obj.spec.volumeRef.name);
        const backend = await opts.pools.backendFor(pool, signal);
        try {
          await backend.reimageVolume(ownerRef(vol), ownerRef(image), signal);
        } catch (err) {
          if (isStorageError(err) && operationRefusals.has(err.reason)) {
            // The volume as it is refuses the action: the operation ends here, Failed, and is
            // not run again when the volume changes later (a new operation is).
            obj.status = { ...obj.status, startTime: started, completionTime: stamp(opts.now()) };
            throw new ReconcileError(err.reason, err.message, { retry: false, cause: err });
          }
          throw err;
        }
      }
      // The reconcile looks at this same copy again and writes it as the record.
      obj.status = { ...obj.status, startTime: started, completionTime: stamp(opts.now()) };
    },
    async update() {},
    async delete() {
      // An operation leaves nothing behind to delete.
    },
  };
}
