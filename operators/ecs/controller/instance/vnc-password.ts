// The VNC password of an Instance: a Secret in its namespace (`<instance>-vnc`, key
// `password`), made by the manager with 8 random printable characters and owned by the
// instance so that it goes with it. Its host's agent cannot read it: the manager copies it
// into the hosts namespace for that host (host-secret-copy.ts) before it binds the instance,
// and copies it again when a user changes it; the agent sets it on the VM.
import { randomInt } from 'node:crypto';
import type { ObjectClient } from '../../../../controllers/kube/index.ts';
import {
  Instance,
  vncPasswordCopyName,
  vncPasswordPattern,
  vncPasswordSecretKey,
  vncPasswordSecretName,
  type InstanceObject,
} from '../../api/index.ts';
import {
  copyHolds,
  getHostCopy,
  hostSecretCopy,
  readSecretKey,
  type SecretObject,
} from '../host-secret-copy.ts';
import { instanceLabel } from './children.ts';

/**
 * On an Instance: the uid of its password's latest copy, written when the copy is replaced, so
 * that the host's agent (which can only `get` the copy) looks again at once.
 */
export const vncPasswordCopyAnnotation = 'ecs.kcloud.io/vnc-password-copy';

/** Printable ASCII but the space, which a viewer's password box may trim. */
const alphabet = String.fromCharCode(
  ...Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => 0x21 + i),
);

export function generateVncPassword(length = 8): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet.charAt(randomInt(alphabet.length));
  return s;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** The tenant's Secret, owned by the instance. */
export function vncPasswordSecret(instance: InstanceObject, password: string): SecretObject {
  const name = instance.metadata.name ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: vncPasswordSecretName(name),
      namespace: instance.metadata.namespace ?? '',
      labels: { [instanceLabel]: name },
      ownerReferences: [
        {
          apiVersion: `${Instance.group}/${Instance.version}`,
          kind: Instance.kind,
          name,
          uid: instance.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    type: 'Opaque',
    data: { [vncPasswordSecretKey]: b64(password) },
  };
}

export function vncPasswordCopy(
  instance: InstanceObject,
  host: string,
  data: string,
  hostsNamespace: string,
): SecretObject {
  return hostSecretCopy({
    name: vncPasswordCopyName(instance.metadata.uid ?? ''),
    namespace: hostsNamespace,
    host,
    key: vncPasswordSecretKey,
    data,
    annotations: {
      'ecs.kcloud.io/instance': `${instance.metadata.namespace ?? ''}/${instance.metadata.name ?? ''}`,
    },
  });
}

/** What is to be written for the VNC password, or why the instance waits. */
export type VncPasswordPlan =
  { wait: { reason: string; message: string } } | { create?: SecretObject; copy?: SecretObject };

/**
 * Reads the tenant's Secret and the host's copy: a missing Secret is made (with a new
 * password), an invalid password waits for its owner to fix it, a copy that is missing, for
 * another host or stale is written again. An instance never bound to a host has no copy but
 * one its own failed binding left, which the write replaces: it is not read first.
 */
export async function planVncPassword(
  secrets: ObjectClient<SecretObject>,
  instance: InstanceObject,
  host: string,
  hostsNamespace: string,
  signal: AbortSignal,
  /** False for an instance never bound: no copy is read, it is written (see putHostCopy). */
  copyMayExist = true,
): Promise<VncPasswordPlan> {
  const name = vncPasswordSecretName(instance.metadata.name ?? '');
  const read = await readSecretKey(
    secrets,
    {
      namespace: instance.metadata.namespace ?? '',
      name,
      key: vncPasswordSecretKey,
      notFound: { reason: 'VncPasswordSecretNotFound', message: '' },
      keyNotFound: {
        reason: 'VncPasswordInvalid',
        message: `Secret ${name} has no key ${vncPasswordSecretKey}: give it the VNC password (1 to 8 printable ASCII characters), or delete the Secret to get a new one`,
      },
    },
    signal,
  );
  let create: SecretObject | undefined;
  let data: string;
  if ('data' in read) {
    data = read.data;
    if (!vncPasswordPattern.test(Buffer.from(data, 'base64').toString('latin1'))) {
      return {
        wait: {
          reason: 'VncPasswordInvalid',
          message: `Secret ${name} key ${vncPasswordSecretKey} is not 1 to 8 printable ASCII characters (VNC authentication uses no more): fix it, or delete the Secret to get a new one`,
        },
      };
    }
  } else if (read.missing === 'secret') {
    create = vncPasswordSecret(instance, generateVncPassword());
    data = create.data?.[vncPasswordSecretKey] ?? '';
  } else {
    return { wait: read.wait };
  }
  const copyName = vncPasswordCopyName(instance.metadata.uid ?? '');
  const copy = copyMayExist
    ? await getHostCopy(secrets, hostsNamespace, copyName, signal)
    : undefined;
  const fresh = copyHolds(copy, host, vncPasswordSecretKey, data);
  return {
    ...(create ? { create } : {}),
    ...(fresh ? {} : { copy: vncPasswordCopy(instance, host, data, hostsNamespace) }),
  };
}
