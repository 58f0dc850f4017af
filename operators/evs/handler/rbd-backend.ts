// The backend of an RBD pool on this host: the cephx key read from the pool's Secret, a
// ceph.conf and keyring of its own under the module's state dir.
import path from 'node:path';
import {
  isNotFound,
  secretResource,
  type ObjectClient,
  type KubeObject,
} from '../../../controllers/index.ts';
import type { StoragePoolObject } from '../api/index.ts';
import { RbdPool, StorageError, type StorageBackend } from '../backend/index.ts';

export interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

export { secretResource };

export interface RbdBackendOptions {
  secrets: ObjectClient<SecretObject>;
  /** Where each pool's ceph.conf and keyring go: `<stateDir>/rbd/<pool>`. */
  stateDir: string;
  importRoots: readonly string[];
}

/** Reads the pool's key and makes its backend; `PoolUnreachable` saying why it cannot. */
export async function rbdBackend(
  pool: StoragePoolObject,
  opts: RbdBackendOptions,
  signal: AbortSignal,
): Promise<StorageBackend> {
  const rbd = pool.spec.rbd;
  if (!rbd) throw new StorageError('InvalidRequest', 'an RBD pool needs spec.rbd');
  const { namespace, name } = rbd.secretRef;
  let secret: SecretObject;
  try {
    secret = await opts.secrets.get(namespace, name, signal);
  } catch (err) {
    throw new StorageError(
      'PoolUnreachable',
      isNotFound(err)
        ? `the Secret ${namespace}/${name} with the cephx key does not exist`
        : `reading the Secret ${namespace}/${name} failed (an agent reads Secrets in its hosts namespace only): ${(err as Error).message}`,
      { cause: err },
    );
  }
  const encoded = secret.data?.key;
  if (!encoded) {
    throw new StorageError(
      'PoolUnreachable',
      `the Secret ${namespace}/${name} has no data key "key" (the cephx key, as ceph auth get-key prints it)`,
    );
  }
  return new RbdPool({
    pool: rbd.pool,
    user: rbd.user,
    monitors: rbd.monitors,
    key: Buffer.from(encoded, 'base64').toString('utf8').trim(),
    runDir: path.join(opts.stateDir, 'rbd', pool.metadata.name ?? rbd.pool),
    importRoots: opts.importRoots,
  });
}
