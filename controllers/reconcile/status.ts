import { isDeepStrictEqual } from 'node:util';
import type { KubeObject, ObjectClient } from '../kube/index.ts';

export interface WithStatus<S> extends KubeObject {
  status?: S;
}

/**
 * Writes status through the status subresource with server-side apply, as the controller's
 * own field manager. Apply needs no resourceVersion, so a status write never fails with 409
 * because someone else touched the object; and fields owned by other managers (another
 * controller's condition, say) are left alone. Nothing is sent when the status is unchanged:
 * a converged system makes no API writes.
 */
export async function applyStatus<S, T extends WithStatus<S>>(
  client: ObjectClient<T>,
  obj: T,
  status: S,
  fieldManager: string,
  signal?: AbortSignal,
): Promise<T | undefined> {
  if (isDeepStrictEqual(stripUndefined(obj.status), stripUndefined(status))) return undefined;
  const apiVersion = obj.apiVersion;
  const kind = obj.kind;
  if (!apiVersion || !kind) throw new Error('applyStatus needs apiVersion and kind on the object');
  return client.patch(
    obj.metadata.namespace,
    obj.metadata.name ?? '',
    'apply',
    {
      apiVersion,
      kind,
      metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace },
      status,
    },
    { subresource: 'status', fieldManager, force: true, signal },
  );
}

/** JSON drops undefined; compare what the API server would store. */
function stripUndefined(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}
