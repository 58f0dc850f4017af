// Agents read no tenant Secret (they may `get` Secrets in the hosts namespace only), so what a
// host needs from one (a reset password, the VNC password) the manager reads in the tenant's
// namespace and copies into a Secret of the hosts namespace labelled with that host. The
// agent checks the label: a copy for another host is none of its business. A cross-namespace
// owner reference cannot collect a copy (the garbage collector only follows owners of the
// dependent's own namespace): the manager deletes it itself.
import {
  isApiError,
  isNotFound,
  secretResource,
  type KubeObject,
  type ObjectClient,
} from '../../../controllers/kube/index.ts';
import { hostLabel } from '../../../controllers/host/index.ts';

export interface SecretObject extends KubeObject {
  data?: Record<string, string>;
  type?: string;
  immutable?: boolean;
}

export { secretResource };

/** A key of a tenant's Secret (base64, as the API gives it), or why the reader waits. */
export type SecretKeyRead =
  { data: string } | { missing: 'secret' | 'key'; wait: { reason: string; message: string } };

export interface SecretKeyWanted {
  namespace: string;
  name: string;
  key: string;
  /** Condition reasons and messages for a missing Secret and a missing (or empty) key. */
  notFound: { reason: string; message: string };
  keyNotFound: { reason: string; message: string };
}

export async function readSecretKey(
  secrets: ObjectClient<SecretObject>,
  want: SecretKeyWanted,
  signal: AbortSignal,
): Promise<SecretKeyRead> {
  let secret: SecretObject;
  try {
    secret = await secrets.get(want.namespace, want.name, signal);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return { missing: 'secret', wait: want.notFound };
  }
  const data = secret.data?.[want.key];
  if (data === undefined || data === '') return { missing: 'key', wait: want.keyNotFound };
  return { data };
}

export interface HostCopy {
  name: string;
  namespace: string;
  host: string;
  key: string;
  /** base64, as the API gives it. */
  data: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The copy the agent of `host` reads. Immutable: a new value is a new copy. */
export function hostSecretCopy(c: HostCopy): SecretObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: c.name,
      namespace: c.namespace,
      labels: { ...c.labels, [hostLabel]: c.host },
      ...(c.annotations ? { annotations: c.annotations } : {}),
    },
    type: 'Opaque',
    immutable: true,
    data: { [c.key]: c.data },
  };
}

/** A copy as it is; undefined when there is none. */
export async function getHostCopy(
  secrets: ObjectClient<SecretObject>,
  namespace: string,
  name: string,
  signal: AbortSignal,
): Promise<SecretObject | undefined> {
  try {
    return await secrets.get(namespace, name, signal);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Whether a copy read back is the one for `host` holding `data`. */
export function copyHolds(
  copy: SecretObject | undefined,
  host: string,
  key: string,
  data: string,
): boolean {
  return copy?.metadata.labels?.[hostLabel] === host && copy.data?.[key] === data;
}

/** Writes a copy, replacing one that differs (copies are immutable: delete, then create). */
export async function putHostCopy(
  secrets: ObjectClient<SecretObject>,
  copy: SecretObject,
  signal: AbortSignal,
): Promise<SecretObject> {
  try {
    return await secrets.create(copy, signal);
  } catch (err) {
    if (!isApiError(err, 409)) throw err;
    await deleteHostCopy(secrets, copy.metadata.namespace ?? '', copy.metadata.name ?? '', signal);
    return await secrets.create(copy, signal);
  }
}

export async function deleteHostCopy(
  secrets: ObjectClient<SecretObject>,
  namespace: string,
  name: string,
  signal: AbortSignal,
): Promise<void> {
  try {
    await secrets.delete(namespace, name, { signal });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
