// The owner references the storage backend names objects by, read from the Kubernetes objects.
import { ReconcileError } from '../../../controllers/external/index.ts';
import type { KubeObject } from '../../../controllers/kube/index.ts';
import type { OwnerRef } from '../backend/index.ts';

export function ownerRef(obj: KubeObject): OwnerRef {
  const { namespace, name, uid } = obj.metadata;
  if (!namespace || !name || !uid) {
    throw new ReconcileError('InvalidObject', 'the object has no namespace, name or uid', {
      retry: false,
    });
  }
  return { namespace, name, uid };
}
