// Snapshots of a volume a running VM has open, taken through the VM: the manager (ECS and EVS)
// against the real API server, and a real agent running the demo guest with QEMU (TCG), its
// volumes in a real file pool. The guest's data disk holds a marker when the snapshot is taken
// and something else after; a Volume made from the snapshot, plugged into the same running VM,
// holds the marker. Deleting the snapshot while the VM runs leaves neither the qcow2 snapshot
// nor its owner file. With the guest agent gone, the snapshot is crash-consistent and says so;
// once the instance is stopped, EVS takes and deletes snapshots in the pool itself. A volume of
// an RBD pool (the run's real Ceph) is snapshotted the same way, by QEMU's rbd driver, and its
// snapshot deleted by EVS, which flattens the volumes cloned from it first.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { guestDir, readDemoGuest } from '../../../hack/guest/index.ts';
import { addInstanceController } from '../../../operators/ecs/index.ts';
import { RbdPool } from '../../../operators/evs/backend/index.ts';
import { CephFixture } from '../../harness/ceph.ts';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { requireTools, sha256 } from '../evs/backend/pool-fixtures.ts';
import { doc, ecsApi, evsApi, startEvsWorld, type EvsWorld } from '../evs/evs-fixture.ts';
import { guestExec, killLeftVms, waitGuestAgentGone } from './vm-fixture.ts';

const cluster = useTestCluster('ecs-ls');
const ceph = new CephFixture('ecsls');
/** The test's own view of the RBD pool, to look at what is in it. */
let rbdView: RbdPool;
const execFileAsync = promisify(execFile);
let world: EvsWorld;
let host = '';
let ns = '';
let vmUid = '';
const flavor = () => `${ns}-tiny`;
const pool = () => `${ns}-local`;
const volumeType = () => `${ns}-normal`;
const rbdPool = () => `${ns}-rbd`;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface View {
  metadata?: { uid?: string; finalizers?: string[] };
  status?: {
    phase?: string;
    readyToUse?: boolean;
    volumeUID?: string;
    conditions?: Condition[];
  };
}

const read = async (kind: string, name: string) =>
  (await cluster.read({
    apiVersion: kind === 'Instance' ? ecsApi : evsApi,
    kind,
    name,
  })) as unknown as View;
const condition = (v: View, type: string) => v.status?.conditions?.find((c) => c.type === type);
const stateDir = () => path.join(world.roots[host] ?? '', 'state', 'ecs');
const poolDir = () => path.join(world.roots[host] ?? '', 'pools', 'local');
const volumeFile = (uid: string) => path.join(poolDir(), `vol-${uid}.qcow2`);

/** An object as the pool's owner records name it. */
const owner = (o: { metadata?: { namespace?: string; name?: string; uid?: string } }) => ({
  namespace: o.metadata?.namespace ?? '',
  name: o.metadata?.name ?? '',
  uid: o.metadata?.uid ?? '',
});

/** The internal snapshots of a volume's file, read beside the QEMU that has it open. */
async function tags(volumeUid: string): Promise<string[]> {
  const { stdout } = await execFileAsync('qemu-img', [
    'snapshot',
    '-l',
    '-U',
    volumeFile(volumeUid),
  ]);
  return stdout
    .split('\n')
    .slice(2)
    .map((l) => l.trim().split(/\s+/)[1] ?? '')
    .filter(Boolean);
}

/** Runs a shell command in the guest through its agent; its standard output. */
async function sh(script: string): Promise<string> {
  const r = await guestExec(stateDir(), vmUid, ['/bin/sh', '-c', script]);
  if (r.exitCode !== 0) throw new Error(`${script} in the guest: ${r.stderr}`);
  return r.stdout.trim();
}

/** The guest's device of the disk whose serial is the Volume's name. */
const device = (volume: string) =>
  `$(for d in /sys/block/vd*; do [ "$(cat $d/serial)" = ${volume} ] && echo /dev/\${d##*/}; done)`;
/** Writes `text` at the start of the disk, through to it. */
const write = (volume: string, text: string) =>
  sh(`printf '%s' '${text}' | dd of=${device(volume)} bs=512 conv=sync,fsync 2>/dev/null && sync`);
/** The first `length` bytes of the disk. */
const head = (volume: string, length: number) =>
  sh(`dd if=${device(volume)} bs=${String(length)} count=1 2>/dev/null`);

/** Waits for a snapshot to be ready to use, and returns it. */
async function readyToUse(name: string): Promise<View> {
  let last: View | undefined;
  return waitFor(
    async () => {
      last = await read('VolumeSnapshot', name);
      // readyToUse is the agent's; Ready, which the manager sums up from it, follows.
      return last.status?.readyToUse === true && condition(last, 'Ready')?.status === 'True'
        ? last
        : undefined;
    },
    {
      timeoutMs: 120_000,
      what: `VolumeSnapshot ${name} readyToUse and Ready`,
      describe: () => JSON.stringify(last?.status),
    },
  );
}

beforeAll(async () => {
  await requireTools(['qemu-system-x86_64', 'qemu-img', 'mformat', 'mcopy']);
  ns = cluster.namespace;
  const guest = await readDemoGuest(guestDir());
  world = await startEvsWorld(cluster, 1, {
    controllers: (mgr) => {
      addInstanceController(mgr, { policy: 'Spread', hostsNamespace: `${ns}-hosts` });
    },
    agentArgs: ['--vm-stop-timeout=20s'],
  });
  [host = ''] = world.hosts;
  await copyFile(guest.image, path.join(world.roots[host] ?? '', 'import', 'demo.qcow2'));
  await cluster.apply(
    [
      doc(evsApi, 'StoragePool', pool(), {
        type: 'File',
        file: { path: '/pools/local', scope: 'Local' },
      }),
      doc(evsApi, 'VolumeType', volumeType(), { storagePoolRef: { name: pool() }, default: true }),
      doc(ecsApi, 'Flavor', flavor(), { vcpu: 1, memory: '256Mi' }),
      doc(ecsApi, 'Image', 'demo', {
        source: {
          hostFile: { host, path: '/import/demo.qcow2', sha256: await sha256(guest.image) },
        },
        storagePoolRef: { name: pool() },
      }),
      doc(evsApi, 'Volume', 'data', { size: '1Gi' }),
      // No NIC: the guest is reached through its guest agent only.
      doc(ecsApi, 'Instance', 'vm', {
        flavorRef: { name: flavor() },
        imageRef: { name: 'demo' },
        dataVolumes: [{ name: 'data' }],
      }),
    ].join('---\n'),
  );
  // An RBD pool of the run's Ceph beside the file pool: the agent reads its key from a Secret.
  const cephPool = await ceph.pool();
  const user = await ceph.user(cephPool);
  const v1 = /v1:([0-9.]+:[0-9]+)/.exec((await ceph.info()).monHost)?.[1];
  if (!v1) throw new Error('the Ceph monitor has no v1 address');
  await cluster.apply(
    `apiVersion: v1\nkind: Secret\nmetadata: {name: ${ns}-ceph, namespace: ${world.hostsNs}}\n` +
      `data: {key: ${Buffer.from(user.key).toString('base64')}}\n`,
  );
  const rbd = {
    monitors: [v1],
    pool: cephPool,
    user: user.id,
    secretRef: { name: `${ns}-ceph`, namespace: world.hostsNs },
  };
  await cluster.apply(doc(evsApi, 'StoragePool', rbdPool(), { type: 'RBD', rbd }));
  await cluster.apply(
    doc(evsApi, 'VolumeType', rbdPool(), { storagePoolRef: { name: rbdPool() } }),
  );
  rbdView = new RbdPool({
    pool: cephPool,
    user: user.id,
    monitors: [v1],
    keyring: user.keyringPath,
    runDir: path.join(world.work, 'rbd-view'),
  });
  let last: View | undefined;
  const running = await waitFor(
    async () => {
      last = await read('Instance', 'vm');
      return condition(last, 'Ready')?.status === 'True' && last.status?.phase === 'Running'
        ? last
        : undefined;
    },
    {
      timeoutMs: 300_000,
      what: 'Instance vm Running',
      describe: () => JSON.stringify(last?.status),
    },
  );
  vmUid = running.metadata?.uid ?? '';
  // The guest agent answers once the guest has booted.
  await waitFor(async () => (await sh('echo up').catch(() => '')) === 'up', {
    timeoutMs: 180_000,
    intervalMs: 2_000,
    what: 'the guest agent to answer',
  });
}, 600_000);

afterAll(async () => {
  const problems: unknown[] = [];
  const attempt = async (step: () => Promise<unknown>) => {
    try {
      await step();
    } catch (err) {
      problems.push(err);
    }
  };
  await attempt(() => killLeftVms([stateDir()]));
  await attempt(() =>
    cluster.kubectl(['delete', 'instances.ecs.kcloud.io', '--all', '-n', ns, '--timeout=120s']),
  );
  await attempt(() =>
    cluster.kubectl([
      'delete',
      'volumesnapshots.evs.kcloud.io',
      '--all',
      '-n',
      ns,
      '--timeout=60s',
    ]),
  );
  await attempt(() =>
    world.deleteAll([
      `volumetypes.evs.kcloud.io/${volumeType()}`,
      `storagepools.evs.kcloud.io/${pool()}`,
      `volumetypes.evs.kcloud.io/${rbdPool()}`,
      `storagepools.evs.kcloud.io/${rbdPool()}`,
      `flavors.ecs.kcloud.io/${flavor()}`,
    ]),
  );
  await attempt(() => world.stop());
  await attempt(() => ceph.cleanup());
  if (problems.length > 0) throw new AggregateError(problems, 'tearing the test down');
}, 300_000);

describe('a VolumeSnapshot of a volume a running instance has open', () => {
  let dataUid = '';
  let snapUid = '';

  it('is taken through the VM with the guest’s filesystems frozen', async () => {
    const data = await read('Volume', 'data');
    dataUid = data.metadata?.uid ?? '';
    const attachment = await read('VolumeAttachment', 'vm-data');
    expect(attachment.metadata?.finalizers).toContain('ecs.kcloud.io/vm');
    await write('data', 'before-snapshot');
    await cluster.apply(doc(evsApi, 'VolumeSnapshot', 'live-1', { volumeRef: { name: 'data' } }));
    const snap = await readyToUse('live-1');
    snapUid = snap.metadata?.uid ?? '';
    expect(snap.status?.volumeUID).toBe(dataUid);
    expect(condition(snap, 'TakenLive')).toMatchObject({
      status: 'True',
      reason: 'FilesystemsFrozen',
    });
    expect(condition(snap, 'Ready')?.status).toBe('True');
    // QEMU took it in the volume's file, owned by EVS's record beside it.
    expect(await tags(dataUid)).toContain(`snap-${snapUid}`);
    expect(existsSync(path.join(poolDir(), `snap-${snapUid}.json`))).toBe(true);
    // The VM ran on: the guest answers, and writes after the snapshot.
    await write('data', 'after-snapshot!');
    expect(await head('data', 15)).toBe('after-snapshot!');
  }, 300_000);

  it('makes a Volume holding the data as it was, which the running VM can use', async () => {
    await cluster.apply(
      doc(evsApi, 'Volume', 'restored', { size: '1Gi', source: { snapshot: { name: 'live-1' } } }),
    );
    await cluster.waitForCondition(
      { apiVersion: evsApi, kind: 'Volume', name: 'restored' },
      'Ready',
    );
    await cluster.kubectl([
      'patch',
      'instance',
      'vm',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { dataVolumes: [{ name: 'data' }, { name: 'restored' }] } }),
    ]);
    await waitFor(async () => (await sh(`echo ${device('restored')}`)) !== '', {
      timeoutMs: 120_000,
      what: 'the guest to see the restored disk',
    });
    expect(await head('restored', 15)).toBe('before-snapshot');
    expect(await head('data', 15)).toBe('after-snapshot!');
  }, 300_000);

  it('is deleted through the VM: no qemu snapshot and no owner record are left', async () => {
    await cluster.kubectl([
      'delete',
      'volumesnapshot',
      'live-1',
      '-n',
      ns,
      '--wait=true',
      '--timeout=120s',
    ]);
    expect(await tags(dataUid)).not.toContain(`snap-${snapUid}`);
    expect(existsSync(path.join(poolDir(), `snap-${snapUid}.json`))).toBe(false);
    // The VM still has the volume open, and runs on.
    expect(await head('data', 15)).toBe('after-snapshot!');
  }, 300_000);

  it('of a volume in an RBD pool is taken by QEMU’s rbd driver and deleted by EVS', async () => {
    await cluster.apply(
      doc(evsApi, 'Volume', 'rdata', { size: '1Gi', volumeTypeRef: { name: rbdPool() } }),
    );
    await cluster.waitForCondition({ apiVersion: evsApi, kind: 'Volume', name: 'rdata' }, 'Ready');
    await cluster.kubectl([
      'patch',
      'instance',
      'vm',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: { dataVolumes: [{ name: 'data' }, { name: 'restored' }, { name: 'rdata' }] },
      }),
    ]);
    await waitFor(async () => (await sh(`echo ${device('rdata')}`)) !== '', {
      timeoutMs: 120_000,
      what: 'the guest to see the RBD disk',
    });
    await write('rdata', 'rbd-marker');
    await cluster.apply(doc(evsApi, 'VolumeSnapshot', 'rlive', { volumeRef: { name: 'rdata' } }));
    const snap = await readyToUse('rlive');
    expect(condition(snap, 'TakenLive')).toMatchObject({
      status: 'True',
      reason: 'FilesystemsFrozen',
    });
    const volume = owner(await cluster.read({ apiVersion: evsApi, kind: 'Volume', name: 'rdata' }));
    const ref = {
      ...owner(await cluster.read({ apiVersion: evsApi, kind: 'VolumeSnapshot', name: 'rlive' })),
      volumeUid: volume.uid,
    };
    // An RBD snapshot of the volume's image, owned in the image's metadata.
    expect((await rbdView.listSnapshots(volume)).map((x) => x.owner.uid)).toEqual([ref.uid]);
    expect(await rbdView.inspectSnapshot(ref)).toMatchObject({
      id: expect.stringContaining(`@snap-${ref.uid}`),
    });
    // A volume cloned from it (an RBD layered clone) keeps its data when it goes: EVS deletes
    // an RBD snapshot itself, flattening its clones first, even while QEMU has the volume open.
    await cluster.apply(
      doc(evsApi, 'Volume', 'rclone', {
        size: '1Gi',
        volumeTypeRef: { name: rbdPool() },
        source: { snapshot: { name: 'rlive' } },
      }),
    );
    await cluster.waitForCondition({ apiVersion: evsApi, kind: 'Volume', name: 'rclone' }, 'Ready');
    await cluster.kubectl([
      'delete',
      'volumesnapshot',
      'rlive',
      '-n',
      ns,
      '--wait=true',
      '--timeout=120s',
    ]);
    expect(await rbdView.inspectSnapshot(ref)).toBeUndefined();
    expect(await rbdView.snapshotRecorded(ref)).toBe(false);
    const clone = owner(await cluster.read({ apiVersion: evsApi, kind: 'Volume', name: 'rclone' }));
    expect((await rbdView.inspectVolume(clone))?.parent).toBeUndefined();
    expect(await head('rdata', 10)).toBe('rbd-marker');
  }, 300_000);

  it('is crash-consistent, and says so, when the guest agent does not answer', async () => {
    // The guest agent goes away (nothing in the demo guest restarts it).
    await guestExec(stateDir(), vmUid, [
      '/bin/sh',
      '-c',
      '(sleep 1; killall qemu-ga) >/dev/null 2>&1 &',
    ]);
    // Taken only once it is gone: a snapshot asked for within that second would freeze.
    await waitGuestAgentGone(stateDir(), vmUid);
    await cluster.apply(doc(evsApi, 'VolumeSnapshot', 'live-2', { volumeRef: { name: 'data' } }));
    const snap = await readyToUse('live-2');
    expect(condition(snap, 'TakenLive')).toMatchObject({
      status: 'True',
      reason: 'CrashConsistent',
    });
    expect(await tags(dataUid)).toContain(`snap-${snap.metadata?.uid ?? ''}`);
  }, 300_000);

  it('of a stopped instance’s volume is taken and deleted in the pool, as of a detached one', async () => {
    const live2 = (await read('VolumeSnapshot', 'live-2')).metadata?.uid ?? '';
    await cluster.kubectl([
      'patch',
      'instance',
      'vm',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { powerState: 'Stopped' } }),
    ]);
    // QEMU closed the volume: the attachment stays, without the hypervisor's finalizer.
    await waitFor(
      async () =>
        !(await read('VolumeAttachment', 'vm-data')).metadata?.finalizers?.includes(
          'ecs.kcloud.io/vm',
        ),
      { timeoutMs: 120_000, what: 'the stopped VM to close volume data' },
    );
    await cluster.apply(doc(evsApi, 'VolumeSnapshot', 'cold', { volumeRef: { name: 'data' } }));
    const snap = await readyToUse('cold');
    expect(condition(snap, 'TakenLive')).toBeUndefined();
    expect(await tags(dataUid)).toContain(`snap-${snap.metadata?.uid ?? ''}`);
    // The snapshot the VM took goes from the pool now that nothing has the volume open.
    await cluster.kubectl([
      'delete',
      'volumesnapshot',
      'live-2',
      '-n',
      ns,
      '--wait=true',
      '--timeout=120s',
    ]);
    expect(await tags(dataUid)).not.toContain(`snap-${live2}`);
    expect(existsSync(path.join(poolDir(), `snap-${live2}.json`))).toBe(false);
  }, 300_000);
});
