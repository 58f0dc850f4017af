// The one Ceph cluster of an integration run (started by global setup), and what a test file
// makes in it: pools and restricted users with unique names, removed after the file's tests.
import { randomBytes } from 'node:crypto';
import { afterAll } from '@jest/globals';
import {
  adminEnv,
  cephInfo,
  cephLayout,
  createClientUser,
  createPool,
  deleteClientUser,
  deletePool,
  type CephEnv,
  type CephInfo,
  type ClientUser,
  type PoolOptions,
} from '../../hack/ceph/index.ts';
import { envKeys } from './env.ts';

/** The run folder of the run's Ceph cluster. */
export function testCephDir(): string {
  const dir = process.env[envKeys.cephDir];
  if (!dir) {
    throw new Error(
      'no test Ceph: integration tests must run through jest with test/harness/global-setup.ts',
    );
  }
  return dir;
}

/** The run's Ceph: ceph.conf, the admin keyring, the monitor address, client.admin. */
export function testCeph(): Promise<CephInfo> {
  return cephInfo(cephLayout(testCephDir()));
}

/** A test file's pools and users in the run's Ceph. */
export class CephFixture {
  readonly prefix: string;
  private readonly pools: string[] = [];
  private readonly users: string[] = [];

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** client.admin of the run's Ceph. */
  get admin(): CephEnv {
    return adminEnv(cephLayout(testCephDir()));
  }

  info(): Promise<CephInfo> {
    return testCeph();
  }

  /** `<prefix>-<random>`: unique within the run, valid as a pool or user name. */
  uniqueName(): string {
    return `${this.prefix}-${randomBytes(3).toString('hex')}`;
  }

  /** A new pool (an RBD pool unless told otherwise), deleted after the file's tests. */
  async pool(opts: PoolOptions = { application: 'rbd' }): Promise<string> {
    const name = this.uniqueName();
    this.pools.push(name);
    await createPool(this.admin, name, opts);
    return name;
  }

  /** A new user that may use RBD in `pool` only, removed after the file's tests. */
  async user(pool: string): Promise<ClientUser> {
    const name = this.uniqueName();
    this.users.push(name);
    return createClientUser(this.admin, name, pool);
  }

  /** Removes what this fixture made (KCLOUD_TEST_KEEP=1 keeps it for a post-mortem). */
  async cleanup(): Promise<void> {
    if (process.env.KCLOUD_TEST_KEEP === '1') return;
    for (const user of this.users.splice(0)) await deleteClientUser(this.admin, user);
    for (const pool of this.pools.splice(0)) await deletePool(this.admin, pool);
  }
}

/**
 * The run's Ceph for one test file; what it makes is removed in afterAll.
 *
 *   const ceph = useTestCeph('evs-rbd');
 *   const pool = await ceph.pool();
 *   const user = await ceph.user(pool);   // { id, key, keyringPath }
 */
export function useTestCeph(prefix: string): CephFixture {
  const fixture = new CephFixture(prefix);
  afterAll(async () => {
    await fixture.cleanup();
  });
  return fixture;
}
