// A VolumeType is usable when its pool exists; it has no backend of its own.
import { ReconcileError, type ExternalClient } from '../../../controllers/external/index.ts';
import type { StoragePoolObject, VolumeTypeObject } from '../api/index.ts';

export function volumeTypeClient(
  pool: (name: string) => StoragePoolObject | undefined,
): ExternalClient<VolumeTypeObject, undefined> {
  return {
    observe(type) {
      // Nothing to wait for: the answer is in the caches.
      return Promise.resolve().then(() => {
        if (type.metadata.deletionTimestamp) return { exists: false, upToDate: false };
        const name = type.spec.storagePoolRef.name;
        if (!pool(name)) {
          throw new ReconcileError('StoragePoolNotFound', `StoragePool ${name} does not exist`);
        }
        return { exists: true, upToDate: true };
      });
    },
    async create() {},
    async update() {},
    async delete() {},
  };
}
