import { describe, expect, it } from '@jest/globals';
import type { VolumeSnapshotObject } from '../../evs/api/index.ts';
import type { InstanceObject } from '../api/index.ts';
import {
  liveSnapshotStep,
  takeLive,
  type FreezingGuest,
  type SnapshotVm,
} from './live-snapshots.ts';
import { diskId } from './vm-spec.ts';

const condition = (type: string, status: 'True' | 'False', reason: string) => ({
  type,
  status,
  reason,
  message: '',
  lastTransitionTime: '2026-01-01T00:00:00Z',
});
const waiting = condition('Provisioned', 'False', 'TakingThroughInstance');
const snapshot = (
  status: VolumeSnapshotObject['status'],
  over: Partial<VolumeSnapshotObject['metadata']> = {},
  spec: Partial<VolumeSnapshotObject['spec']> = {},
): VolumeSnapshotObject => ({
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'VolumeSnapshot',
  metadata: { name: 's1', namespace: 'ns', uid: 'uid-s1', ...over },
  spec: { volumeRef: { name: 'data' }, ...spec },
  ...(status ? { status } : {}),
});
const instance = { metadata: { name: 'vm', namespace: 'ns', uid: 'uid-vm' } } as InstanceObject;
/** Open in a file pool's volume: its snapshots are deleted through QEMU. */
const vm = { instance, deletesSnapshots: true };
const target = { instanceUid: 'uid-vm', diskId: diskId('data'), tag: 'snap-uid-s1' };

describe('liveSnapshotStep', () => {
  it('takes a snapshot once EVS recorded it and waits for the instance', () => {
    expect(liveSnapshotStep(snapshot({ volumeUID: 'v', conditions: [waiting] }), vm)).toEqual({
      do: 'take',
      ...target,
    });
  });

  it('does nothing before EVS recorded it, once taken, or for a volume open in no VM here', () => {
    const placed = { volumeUID: 'v' };
    expect(liveSnapshotStep(snapshot(placed), vm)).toEqual({ do: 'nothing' });
    expect(
      liveSnapshotStep(
        snapshot({ ...placed, conditions: [condition('Provisioned', 'False', 'Creating')] }),
        vm,
      ),
    ).toEqual({ do: 'nothing' });
    expect(
      liveSnapshotStep(snapshot({ ...placed, conditions: [waiting], readyToUse: true }), vm),
    ).toEqual({ do: 'nothing' });
    expect(
      liveSnapshotStep(
        snapshot({
          ...placed,
          conditions: [waiting, condition('TakenLive', 'True', 'FilesystemsFrozen')],
        }),
        vm,
      ),
    ).toEqual({ do: 'nothing' });
    expect(liveSnapshotStep(snapshot({ ...placed, conditions: [waiting] }), undefined)).toEqual({
      do: 'nothing',
    });
    expect(liveSnapshotStep(snapshot({ conditions: [waiting] }), vm)).toEqual({ do: 'nothing' });
  });

  it('deletes a deleted snapshot through the VM where EVS cannot, unless it is to be kept', () => {
    const deleting = { deletionTimestamp: '2026-01-01T00:00:00Z' };
    const taken = { volumeUID: 'v', readyToUse: true };
    expect(liveSnapshotStep(snapshot(taken, deleting), vm)).toEqual({ do: 'delete', ...target });
    expect(liveSnapshotStep(snapshot(taken, deleting, { deletionPolicy: 'Retain' }), vm)).toEqual({
      do: 'nothing',
    });
    // EVS deletes an RBD snapshot itself, open or not.
    expect(
      liveSnapshotStep(snapshot(taken, deleting), { instance, deletesSnapshots: false }),
    ).toEqual({ do: 'nothing' });
  });
});

/** A VM and a guest agent that record what is done to them, in order. */
function recording(
  agent: 'answers' | 'silent' | 'cannot-freeze' | 'left-frozen',
  snapshotFails = false,
) {
  const calls: string[] = [];
  let frozen = agent === 'left-frozen';
  const fakeVm: SnapshotVm = {
    disks: () => Promise.resolve([{ id: target.diskId }]),
    snapshotDisk: (id, name) => {
      calls.push(`snapshot ${id} ${name}`);
      return snapshotFails ? Promise.reject(new Error('no space')) : Promise.resolve();
    },
    deleteDiskSnapshot: (id, name) => {
      calls.push(`delete ${id} ${name}`);
      return Promise.resolve();
    },
  };
  const guest: FreezingGuest = {
    freezeFilesystems: () => {
      if (agent === 'cannot-freeze') return Promise.reject(new Error('fsfreeze is disabled'));
      if (frozen) return Promise.reject(new Error('the agent is in frozen state'));
      calls.push('freeze');
      frozen = true;
      return Promise.resolve(2);
    },
    thawFilesystems: () => {
      calls.push('thaw');
      frozen = false;
      return Promise.resolve(2);
    },
    filesystemsFrozen: () => Promise.resolve(frozen),
  };
  const withGuest = <T>(fn: (qga: FreezingGuest) => Promise<T>): Promise<T> =>
    agent === 'silent'
      ? Promise.reject(new Error('guest agent guest-ping: no answer within 10 s'))
      : fn(guest);
  return { calls, fakeVm, withGuest };
}

describe('takeLive', () => {
  it('freezes the filesystems, takes the snapshot, thaws, and says it is consistent', async () => {
    const r = recording('answers');
    expect(await takeLive(r.fakeVm, r.withGuest, target)).toMatchObject({
      reason: 'FilesystemsFrozen',
    });
    expect(r.calls).toEqual(['freeze', `snapshot ${target.diskId} snap-uid-s1`, 'thaw']);
  });

  it('takes a crash-consistent snapshot when the guest agent does not answer or cannot freeze', async () => {
    for (const agent of ['silent', 'cannot-freeze'] as const) {
      const r = recording(agent);
      const taken = await takeLive(r.fakeVm, r.withGuest, target);
      expect(taken.reason).toBe('CrashConsistent');
      expect(r.calls).toEqual([`snapshot ${target.diskId} snap-uid-s1`]);
    }
  });

  it('thaws a guest a failed thaw left frozen before freezing it again', async () => {
    const r = recording('left-frozen');
    expect(await takeLive(r.fakeVm, r.withGuest, target)).toMatchObject({
      reason: 'FilesystemsFrozen',
    });
    expect(r.calls).toEqual(['thaw', 'freeze', `snapshot ${target.diskId} snap-uid-s1`, 'thaw']);
  });

  it('thaws the guest when the snapshot fails, and reports the failure', async () => {
    const r = recording('answers', true);
    await expect(takeLive(r.fakeVm, r.withGuest, target)).rejects.toThrow('no space');
    expect(r.calls).toEqual(['freeze', `snapshot ${target.diskId} snap-uid-s1`, 'thaw']);
  });
});
