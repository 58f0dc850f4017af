// A VolumeType is usable when its pool exists; it has no backend of its own.
import type { ExternalClient } from '../../../controllers/external/index.ts';
import type { StoragePoolObject, VolumeTypeObject } from '../api/index.ts';

const missingRequeueMs = 60_000;

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
          // Waited for, not an error: GitOps may apply the type before its pool, whose watch
          // brings the type back.
          return {
            exists: false,
            upToDate: false,
            inProgress: {
              reason: 'StoragePoolNotFound',
              message: `StoragePool ${name} does not exist`,
              requeueAfterMs: missingRequeueMs,
            },
          };
        }
        return { exists: true, upToDate: true };
      });
    },
    async create() {},
    async update() {},
    async delete() {},
  };
}
