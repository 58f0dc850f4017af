import { describe, expect, it } from '@jest/globals';
import type { VolumeSnapshotObject } from '../api/index.ts';
import type { SnapshotInfo, SnapshotRef, StorageBackend } from '../backend/index.ts';
import type { PoolBackends } from './pool-backends.ts';
import { snapshotData } from './snapshot-data.ts';

/** A pool holding snapshots and owner records in memory, recording the calls made to it. */
function recordingPool() {
  const calls: string[] = [];
  const recorded = new Set<string>();
  const taken = new Map<string, SnapshotInfo>();
  const backend = {
    inspectSnapshot: (s: SnapshotRef) => Promise.resolve(taken.get(s.uid)),
    snapshotRecorded: (s: SnapshotRef) => Promise.resolve(recorded.has(s.uid)),
    recordSnapshot: (s: SnapshotRef) => {
      calls.push(`record ${s.uid}`);
      recorded.add(s.uid);
      return Promise.resolve();
    },
    createSnapshot: (s: SnapshotRef) => {
      calls.push(`create ${s.uid}`);
      recorded.add(s.uid);
      return Promise.resolve(take(s));
    },
    deleteSnapshot: (s: SnapshotRef) => {
      calls.push(`delete ${s.uid}`);
      recorded.delete(s.uid);
      taken.delete(s.uid);
      return Promise.resolve();
    },
  } as unknown as StorageBackend;
  /** The snapshot as its hypervisor (or the pool) takes it. */
  const take = (s: { uid: string; volumeUid?: string }) => {
    const info: SnapshotInfo = {
      owner: { namespace: 'ns', name: 's1', uid: s.uid, volumeUid: s.volumeUid ?? 'uid-vol' },
      id: `vol@snap-${s.uid}`,
      sizeBytes: 1024,
      createdAt: new Date('2026-01-01T00:00:00Z'),
    };
    taken.set(s.uid, info);
    return info;
  };
  const pools: PoolBackends = { backendFor: () => Promise.resolve(backend) };
  return { calls, pools, take, untake: (uid: string) => taken.delete(uid), recorded };
}

const snapshot = (deleting = false): VolumeSnapshotObject => ({
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'VolumeSnapshot',
  metadata: {
    name: 's1',
    namespace: 'ns',
    uid: 'uid-s1',
    ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
  },
  spec: { volumeRef: { name: 'vol' } },
  status: { storagePool: 'p', volumeUID: 'uid-vol' },
});
const signal = new AbortController().signal;
/** Open in a file pool: the hypervisor deletes its snapshots. */
const file = { consumerDeletesSnapshots: true };

describe('the EVS agent’s snapshot of a volume a running instance has open', () => {
  it('records the owner, takes nothing, and waits for the instance’s host to take it', async () => {
    const pool = recordingPool();
    const snap = snapshot();
    const client = snapshotData(snap, pool.pools, () => file);
    expect(await client.observe(snap, signal)).toEqual({ exists: false, upToDate: false });
    await client.create(snap, signal);
    expect(pool.calls).toEqual(['record uid-s1']);
    expect(await client.observe(snap, signal)).toMatchObject({
      exists: false,
      inProgress: { reason: 'TakingThroughInstance' },
    });
    // The hypervisor took it: the snapshot is there, as any other.
    pool.take({ uid: 'uid-s1' });
    expect(await client.observe(snap, signal)).toMatchObject({ exists: true, upToDate: true });
    expect(pool.calls).toEqual(['record uid-s1']);
  });

  it('takes the snapshot itself once the volume is closed before the instance took it', async () => {
    const pool = recordingPool();
    const snap = snapshot();
    let open = true;
    const client = snapshotData(snap, pool.pools, () => (open ? file : undefined));
    await client.create(snap, signal);
    open = false;
    expect(await client.observe(snap, signal)).toEqual({ exists: false, upToDate: false });
    await client.create(snap, signal);
    expect(pool.calls).toEqual(['record uid-s1', 'create uid-s1']);
  });

  it('takes a snapshot of a closed volume in the pool, as before', async () => {
    const pool = recordingPool();
    const snap = snapshot();
    const client = snapshotData(snap, pool.pools, () => undefined);
    await client.create(snap, signal);
    expect(pool.calls).toEqual(['create uid-s1']);
  });

  it('leaves deleting to the instance while it has the volume open, then removes the owner', async () => {
    const pool = recordingPool();
    pool.recorded.add('uid-s1');
    pool.take({ uid: 'uid-s1' });
    const snap = snapshot(true);
    const client = snapshotData(snap, pool.pools, () => file);
    expect(await client.observe(snap, signal)).toMatchObject({ exists: true });
    await client.delete(snap, signal);
    expect(pool.calls).toEqual([]);
    // The hypervisor deleted the snapshot: its owner record is still there, and goes.
    pool.untake('uid-s1');
    expect(await client.observe(snap, signal)).toMatchObject({ exists: true });
    await client.delete(snap, signal);
    expect(pool.calls).toEqual(['delete uid-s1']);
    expect(await client.observe(snap, signal)).toMatchObject({ exists: false });
  });

  it('deletes the snapshot of an open RBD volume itself', async () => {
    const pool = recordingPool();
    pool.recorded.add('uid-s1');
    pool.take({ uid: 'uid-s1' });
    const snap = snapshot(true);
    const client = snapshotData(snap, pool.pools, () => ({ consumerDeletesSnapshots: false }));
    await client.delete(snap, signal);
    expect(pool.calls).toEqual(['delete uid-s1']);
  });
});
