// reset-password: the password lives in a Secret of the tenant's namespace, where no host agent
// may read. The manager copies it into the hosts namespace (host-secret-copy.ts), named after
// the operation's uid and labelled with its host, before it binds the operation there; the
// agent reads that copy. The copy is deleted once the operation has ended or is deleted (the
// manager's finalizer on the operation does it).
//
// Any agent can `get` a Secret of the hosts namespace by name (RBAC cannot select by label), so
// a copy is within every agent's reach for the moments the operation waits to run: it exists
// only from the binding to the end of the operation.
import {
  resetPasswordSecretKey,
  resetPasswordSecretName,
  type InstanceOperationObject,
} from '../../api/index.ts';
import { hostSecretCopy, readSecretKey, type SecretObject } from '../host-secret-copy.ts';
import type { ObjectClient } from '../../../../controllers/kube/index.ts';

export { secretResource, type SecretObject } from '../host-secret-copy.ts';

/** The label on a copy: which operation it is for. */
export const operationUidLabel = 'ecs.kcloud.io/operation-uid';

/** The password read from the tenant's Secret (base64, as the API gives it), or why not. */
export type PasswordRead = { data: string } | { wait: { reason: string; message: string } };

export async function readPassword(
  secrets: ObjectClient<SecretObject>,
  op: InstanceOperationObject,
  signal: AbortSignal,
): Promise<PasswordRead> {
  const ref = op.spec.resetPassword?.passwordSecretRef;
  if (!ref) throw new Error('readPassword: not a reset-password operation');
  const key = ref.key ?? 'password';
  const read = await readSecretKey(
    secrets,
    {
      namespace: op.metadata.namespace ?? '',
      name: ref.name,
      key,
      notFound: {
        reason: 'PasswordSecretNotFound',
        message: `Secret ${ref.name} with the new password does not exist: the operation runs once it does`,
      },
      keyNotFound: {
        reason: 'PasswordKeyNotFound',
        message: `Secret ${ref.name} has no key ${key} (the new password): add it, or name its key in passwordSecretRef.key`,
      },
    },
    signal,
  );
  return 'wait' in read ? { wait: read.wait } : read;
}

/** The copy the agent of `host` reads. */
export function passwordCopy(
  op: InstanceOperationObject,
  host: string,
  data: string,
  namespace: string,
): SecretObject {
  const uid = op.metadata.uid ?? '';
  return hostSecretCopy({
    name: resetPasswordSecretName(uid),
    namespace,
    host,
    key: resetPasswordSecretKey,
    data,
    labels: { [operationUidLabel]: uid },
    annotations: {
      'ecs.kcloud.io/operation': `${op.metadata.namespace ?? ''}/${op.metadata.name ?? ''}`,
    },
  });
}
