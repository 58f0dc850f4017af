// Pools and restricted cephx users: what an RBD storage pool of kcloud needs from a cluster.
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ceph, cephJson, keyringFor, rbd, type CephEnv } from './client.ts';
import { poolPgNum } from './config.ts';

/**
 * Pool and user names this accepts: they go into cap strings (`profile rbd pool=<pool>`) and
 * QEMU's `rbd:` file names (`rbd:<pool>/<image>:id=<user>`), where a space, comma, colon, `=`
 * or `/` would change the meaning.
 */
const cephName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function checkCephName(what: 'pool' | 'user', name: string): void {
  if (!cephName.test(name)) {
    throw new Error(
      `${what} name ${JSON.stringify(name)} is not usable: give 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
}

export interface PoolOptions {
  /** `rbd` runs `rbd pool init` (which enables the application); others are only enabled. */
  application?: string;
}

/** One CLI command: which program, with which arguments (after the cluster and user ones). */
export interface CephCommand {
  tool: 'ceph' | 'rbd';
  args: string[];
}

/** The commands that make a pool, in order. */
export function createPoolCommands(name: string, opts: PoolOptions = {}): CephCommand[] {
  checkCephName('pool', name);
  const app = opts.application;
  if (app !== undefined && !cephName.test(app)) {
    throw new Error(`application name ${JSON.stringify(app)} is not usable`);
  }
  const pg = String(poolPgNum);
  const create: CephCommand = { tool: 'ceph', args: ['osd', 'pool', 'create', name, pg, pg] };
  if (app === undefined) return [create];
  // `rbd pool init` enables the application and writes what RBD keeps in a pool.
  if (app === 'rbd') return [create, { tool: 'rbd', args: ['pool', 'init', name] }];
  return [create, { tool: 'ceph', args: ['osd', 'pool', 'application', 'enable', name, app] }];
}

/** `ceph osd pool create`; a pool that exists already is kept as it is. */
export async function createPool(
  env: CephEnv,
  name: string,
  opts: PoolOptions = {},
): Promise<void> {
  for (const c of createPoolCommands(name, opts)) {
    await (c.tool === 'rbd' ? rbd(env, c.args) : ceph(env, c.args));
  }
}

/** Deletes a pool and everything in it; a pool that does not exist is no error. */
export async function deletePool(env: CephEnv, name: string): Promise<void> {
  checkCephName('pool', name);
  await ceph(env, ['osd', 'pool', 'delete', name, name, '--yes-i-really-really-mean-it']);
}

export interface ClientUser {
  /** The id without `client.`, for `--id` and QEMU's `id=`. */
  id: string;
  key: string;
  /** A keyring file holding only this user's key (mode 0600). */
  keyringPath: string;
}

/** The caps of a user that may use RBD images in one pool and nothing else. */
export function rbdUserCaps(pool: string): string[] {
  checkCephName('pool', pool);
  return ['mon', 'profile rbd', 'osd', `profile rbd pool=${pool}`];
}

/** Keyrings go beside the creating user's keyring, in `keyrings/`, unless told otherwise. */
export function userKeyringPath(env: CephEnv, id: string, keyringDir?: string): string {
  const dir = keyringDir ?? path.join(path.dirname(env.keyring), 'keyrings');
  return path.join(dir, `ceph.client.${id}.keyring`);
}

/**
 * A cephx user `client.<name>` restricted to RBD in one pool (`mon 'profile rbd' osd 'profile
 * rbd pool=<pool>'`), and a keyring file for it. The same name with the same caps returns the
 * existing key; with other caps Ceph refuses.
 */
export async function createClientUser(
  env: CephEnv,
  name: string,
  pool: string,
  opts: { keyringDir?: string } = {},
): Promise<ClientUser> {
  checkCephName('user', name);
  const entity = `client.${name}`;
  const [entry] = await cephJson<{ entity?: string; key?: string }[]>(env, [
    'auth',
    'get-or-create',
    entity,
    ...rbdUserCaps(pool),
  ]);
  if (entry?.entity !== entity || !entry.key) {
    throw new Error(`ceph auth get-or-create ${entity} returned no key`);
  }
  const keyringPath = userKeyringPath(env, name, opts.keyringDir);
  await mkdir(path.dirname(keyringPath), { recursive: true });
  await writeFile(keyringPath, keyringFor(entity, entry.key), { mode: 0o600 });
  // writeFile's mode applies only to a new file.
  await chmod(keyringPath, 0o600);
  return { id: name, key: entry.key, keyringPath };
}

/** Removes the user and its keyring file; a user that does not exist is no error. */
export async function deleteClientUser(
  env: CephEnv,
  name: string,
  opts: { keyringDir?: string } = {},
): Promise<void> {
  checkCephName('user', name);
  await ceph(env, ['auth', 'rm', `client.${name}`]);
  await rm(userKeyringPath(env, name, opts.keyringDir), { force: true });
}
