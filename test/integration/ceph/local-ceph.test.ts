// hack/ceph: a real single-host Ceph (monitor, manager, one BlueStore OSD on a sparse file).
// The run's shared cluster (test/harness/ceph.ts) is healthy and gives a test file pools and
// users confined to one pool, which the rbd CLI and QEMU's rbd driver use; a cluster of this
// file's own shows that `up` starts only what is down and `down` stops every PID it started.
import { mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  cephDown,
  cephJson,
  cephLayout,
  cephStatus,
  cephUp,
  componentOrder,
  createPool,
  rbd,
  readState,
  type CephEnv,
  type CephLayout,
  type ClientUser,
} from '../../../hack/ceph/index.ts';
import { hasExited, repoRoot, residentBytes, toolOutput } from '../../../hack/cluster/index.ts';
import { testCeph, useTestCeph } from '../../harness/ceph.ts';
import { waitFor } from '../../harness/wait.ts';

const ceph = useTestCeph('lc');

function asUser(conf: string, user: ClientUser): CephEnv {
  return { conf, keyring: user.keyringPath, id: user.id };
}

async function rbdNames(env: CephEnv, pool: string): Promise<string[]> {
  return JSON.parse(await rbd(env, ['ls', pool, '--format', 'json'])) as string[];
}

describe("the integration run's Ceph", () => {
  it('is HEALTH_OK with its monitor, manager and OSD running', async () => {
    const info = await testCeph();
    const health = await cephJson<{ status: string }>(info.admin, ['health']);
    expect(health.status).toBe('HEALTH_OK');
    // Other test files create pools on this cluster meanwhile, and a new pool's placement
    // groups are not active+clean for their first seconds: ready once, not at every instant.
    let last: string[] | undefined;
    const s = await waitFor(
      async () => {
        const status = await cephStatus(info.layout);
        last = status.readiness?.waitingFor;
        return status.ready ? status : undefined;
      },
      {
        what: 'the Ceph status probe to find the cluster ready',
        timeoutMs: 60_000,
        intervalMs: 1_000,
        describe: () => Promise.resolve((last ?? ['the monitor is not running']).join('\n')),
      },
    );
    expect(s.readiness?.waitingFor).toEqual([]);
    expect(componentOrder.filter((n) => s.alive[n] !== true)).toEqual([]);
    expect(info.monHost).toMatch(/^\[v2:127\.0\.0\.1:\d+,v1:127\.0\.0\.1:\d+\]$/);
  });

  it('gives a user RBD in its own pool and refuses it another pool', async () => {
    const info = await testCeph();
    const pool = await ceph.pool();
    const other = await ceph.pool();
    const user = await ceph.user(pool);
    const env = asUser(info.conf, user);

    await rbd(env, ['create', `${pool}/disk-1`, '--size', '64M']);
    const image = JSON.parse(await rbd(env, ['info', `${pool}/disk-1`, '--format', 'json'])) as {
      name: string;
      size: number;
      format: number;
    };
    expect(image).toMatchObject({ name: 'disk-1', size: 64 * 2 ** 20, format: 2 });
    expect(await rbdNames(env, pool)).toEqual(['disk-1']);

    await expect(rbd(env, ['create', `${other}/disk-1`, '--size', '64M'])).rejects.toThrow(
      /Operation not permitted/,
    );
    await expect(rbdNames(env, other)).rejects.toThrow(/Operation not permitted/);
    expect(await rbdNames(info.admin, other)).toEqual([]);
  });

  it("lets QEMU's rbd driver create and open an image as that user", async () => {
    const info = await testCeph();
    const pool = await ceph.pool();
    const user = await ceph.user(pool);
    const file = `rbd:${pool}/boot:id=${user.id}:conf=${info.conf}:keyring=${user.keyringPath}`;

    await toolOutput('qemu-img', ['create', '-f', 'raw', file, '1G']);
    const image = JSON.parse(await toolOutput('qemu-img', ['info', '--output', 'json', file])) as {
      format: string;
      'virtual-size': number;
    };
    expect(image).toMatchObject({ format: 'raw', 'virtual-size': 2 ** 30 });
    // The image is a real RBD image, as the admin sees it.
    const seen = JSON.parse(
      await rbd(info.admin, ['info', `${pool}/boot`, '--format', 'json']),
    ) as { size: number };
    expect(seen.size).toBe(2 ** 30);
  });
});

describe('hack/ceph up and down', () => {
  let runDir = '';
  const layout = (): CephLayout => cephLayout(runDir);
  const took: string[] = [];
  async function timed<T>(what: string, step: () => Promise<T>): Promise<T> {
    const began = Date.now();
    const result = await step();
    took.push(`${what} ${((Date.now() - began) / 1000).toFixed(1)} s`);
    return result;
  }

  afterAll(async () => {
    if (runDir) await cephDown(layout(), { purge: process.env.KCLOUD_TEST_KEEP !== '1' });
  });

  it('starts only what is down and stops every PID it started', async () => {
    const base = path.join(repoRoot, '.local', 'test-runs');
    await mkdir(base, { recursive: true });
    runDir = await mkdtemp(path.join(base, 'ceph-'));

    const first = await timed('cold up', () => cephUp(layout()));
    expect(first.started).toBe(true);
    expect(first.processes.map((p) => p.name)).toEqual([...componentOrder]);
    // Beside the run's shared cluster, on ports of its own.
    expect(first.monHost).not.toBe((await testCeph()).monHost);
    console.log(
      `RSS: ${first.processes.map((p) => `${p.name} ${(residentBytes(p.pid) / 2 ** 20).toFixed(0)} MiB`).join(', ')}`,
    );
    await createPool(first.admin, 'kept', { application: 'rbd' });
    await rbd(first.admin, ['create', 'kept/disk', '--size', '16M']);

    // Running and usable: nothing is started again.
    const again = await timed('up while running', () => cephUp(layout()));
    expect(again.started).toBe(false);
    expect(again.processes).toEqual(first.processes);

    // One daemon killed: only it is started again, the others keep their PIDs.
    const osd = first.processes.find((p) => p.name === 'ceph-osd');
    if (!osd) throw new Error('no OSD recorded');
    process.kill(osd.pid, 'SIGKILL');
    const repaired = await timed('up after the OSD was killed', () => cephUp(layout()));
    expect(repaired.started).toBe(true);
    const pids = (info: { processes: { name: string; pid: number }[] }) =>
      Object.fromEntries(info.processes.map((p) => [p.name, p.pid]));
    expect(pids(repaired)['ceph-mon']).toBe(pids(first)['ceph-mon']);
    expect(pids(repaired)['ceph-mgr']).toBe(pids(first)['ceph-mgr']);
    expect(pids(repaired)['ceph-osd']).not.toBe(osd.pid);
    // What it still waits for, when it says it is not ready.
    const afterRepair = await cephStatus(layout());
    expect(afterRepair.readiness?.waitingFor).toEqual([]);
    expect(afterRepair.ready).toBe(true);

    // down stops every recorded daemon, by PID.
    await timed('down', () => cephDown(layout()));
    for (const p of repaired.processes) expect(hasExited(p.pid)).toBe(true);
    expect((await readState(layout()))?.processes).toEqual([]);
    expect((await cephStatus(layout())).ready).toBe(false);

    // up again: the same cluster on the same address, its data kept.
    const restarted = await timed('up after down', () => cephUp(layout()));
    expect(restarted.started).toBe(true);
    expect(restarted.fsid).toBe(first.fsid);
    expect(restarted.monHost).toBe(first.monHost);
    expect(await rbdNames(restarted.admin, 'kept')).toEqual(['disk']);
    console.log(took.join(', '));
  });
});
