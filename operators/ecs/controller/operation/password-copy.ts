// reset-password: the password lives in a Secret of the tenant's namespace, where no host agent
// may read (agents read Secrets in the hosts namespace only). The manager reads it and copies
// the password into a Secret of the hosts namespace named after the operation's uid and
// labelled with its host, before it binds the operation there; the agent reads that copy. The
// copy is immutable and is deleted once the operation has ended or is deleted. A cross-namespace
// owner reference cannot collect it (the garbage collector only follows owners of the
// dependent's own namespace): the manager's finalizer on the operation does it instead.
//
// Any agent can `get` a Secret of the hosts namespace by name (RBAC cannot select by label), so
// a copy is within every agent's reach for the moments the operation waits to run: it exists
// only from the binding to the end of the operation.
import {
  isNotFound,
  type KubeObject,
  type ObjectClient,
} from '../../../../controllers/kube/index.ts';
import { hostLabel } from '../../../../controllers/host/index.ts';
import {
  resetPasswordSecretKey,
  resetPasswordSecretName,
  type InstanceOperationObject,
} from '../../api/index.ts';

export interface SecretObject extends KubeObject {
  data?: Record<string, string>;
  type?: string;
  immutable?: boolean;
}

export const secretResource = {
  group: '',
  version: 'v1',
  plural: 'secrets',
  namespaced: true,
  kind: 'Secret',
} as const;

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
  let secret: SecretObject;
  try {
    secret = await secrets.get(op.metadata.namespace, ref.name, signal);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return {
      wait: {
        reason: 'PasswordSecretNotFound',
        message: `Secret ${ref.name} with the new password does not exist: the operation runs once it does`,
      },
    };
  }
  const data = secret.data?.[key];
  if (data === undefined || data === '') {
    return {
      wait: {
        reason: 'PasswordKeyNotFound',
        message: `Secret ${ref.name} has no key ${key} (the new password): add it, or name its key in passwordSecretRef.key`,
      },
    };
  }
  return { data };
}

/** The copy the agent of `host` reads. */
export function passwordCopy(
  op: InstanceOperationObject,
  host: string,
  data: string,
  namespace: string,
): SecretObject {
  const uid = op.metadata.uid ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: resetPasswordSecretName(uid),
      namespace,
      labels: { [hostLabel]: host, [operationUidLabel]: uid },
      annotations: {
        'ecs.kcloud.io/operation': `${op.metadata.namespace ?? ''}/${op.metadata.name ?? ''}`,
      },
    },
    type: 'Opaque',
    immutable: true,
    data: { [resetPasswordSecretKey]: data },
  };
}
