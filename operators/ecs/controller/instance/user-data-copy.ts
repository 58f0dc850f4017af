// User-data from a Secret (spec.userDataSecretRef): the host's agent writes it into the
// guest's NoCloud seed at every start but cannot read the tenant's Secret, so the manager
// copies the key into the hosts namespace for the instance's host (host-secret-copy.ts)
// before it binds the instance, again when it changed, and deletes it with the instance.
import type { ObjectClient } from '../../../../controllers/kube/index.ts';
import { userDataCopyName, userDataCopyKey, type InstanceObject } from '../../api/index.ts';
import {
  copyHolds,
  getHostCopy,
  hostSecretCopy,
  readSecretKey,
  type SecretObject,
} from '../host-secret-copy.ts';

export type UserDataPlan = { wait: { reason: string; message: string } } | { copy?: SecretObject };

export async function planUserData(
  secrets: ObjectClient<SecretObject>,
  instance: InstanceObject,
  host: string,
  hostsNamespace: string,
  signal: AbortSignal,
  /** False for an instance never bound: no copy is read, it is written (see putHostCopy). */
  copyMayExist = true,
): Promise<UserDataPlan> {
  const ref = instance.spec.userDataSecretRef;
  if (!ref) return {};
  const key = ref.key ?? 'userData';
  const read = await readSecretKey(
    secrets,
    {
      namespace: instance.metadata.namespace ?? '',
      name: ref.name,
      key,
      notFound: {
        reason: 'UserDataSecretNotFound',
        message: `Secret ${ref.name} with the user-data does not exist: the instance starts once it does`,
      },
      keyNotFound: {
        reason: 'UserDataKeyNotFound',
        message: `Secret ${ref.name} has no key ${key} (the user-data): add it, or name its key in userDataSecretRef.key`,
      },
    },
    signal,
  );
  if ('wait' in read) return { wait: read.wait };
  const name = userDataCopyName(instance.metadata.uid ?? '');
  const copy = copyMayExist ? await getHostCopy(secrets, hostsNamespace, name, signal) : undefined;
  if (copyHolds(copy, host, userDataCopyKey, read.data)) return {};
  return {
    copy: hostSecretCopy({
      name,
      namespace: hostsNamespace,
      host,
      key: userDataCopyKey,
      data: read.data,
      annotations: {
        'ecs.kcloud.io/instance': `${instance.metadata.namespace ?? ''}/${instance.metadata.name ?? ''}`,
      },
    }),
  };
}
