import type { KubeObject, ObjectClient } from '../kube/index.ts';

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata.finalizers?.includes(finalizer) ?? false;
}

/**
 * Adds or removes a finalizer with a merge patch that carries the resourceVersion we read: if
 * another writer changed the list meanwhile, the API server answers 409 and the reconcile is
 * retried with a fresh copy, so nobody's finalizer is lost.
 */
async function patchFinalizers<T extends KubeObject>(
  client: ObjectClient<T>,
  obj: T,
  finalizers: string[],
  signal?: AbortSignal,
): Promise<T> {
  return client.patch(
    obj.metadata.namespace,
    obj.metadata.name ?? '',
    'merge',
    { metadata: { finalizers, resourceVersion: obj.metadata.resourceVersion } },
    { signal },
  );
}

export async function addFinalizer<T extends KubeObject>(
  client: ObjectClient<T>,
  obj: T,
  finalizer: string,
  signal?: AbortSignal,
): Promise<T> {
  if (hasFinalizer(obj, finalizer)) return obj;
  return patchFinalizers(client, obj, [...(obj.metadata.finalizers ?? []), finalizer], signal);
}

export async function removeFinalizer<T extends KubeObject>(
  client: ObjectClient<T>,
  obj: T,
  finalizer: string,
  signal?: AbortSignal,
): Promise<T> {
  if (!hasFinalizer(obj, finalizer)) return obj;
  return patchFinalizers(
    client,
    obj,
    (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer),
    signal,
  );
}
