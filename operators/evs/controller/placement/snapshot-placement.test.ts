import { describe, expect, it } from '@jest/globals';
import { hostLabel } from '../../../../controllers/host/index.ts';
import type { VolumeObject, VolumeSnapshotObject } from '../../api/index.ts';
import { placeSnapshot } from './snapshot-placement.ts';

const ready = {
  conditions: [
    {
      type: 'Ready',
      status: 'True' as const,
      reason: 'Available',
      message: '',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    },
  ],
};
const volume = (attachments: { instance: string; host: string }[] = []): VolumeObject => ({
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'Volume',
  metadata: { name: 'data', namespace: 'ns', uid: 'uid-data', labels: { [hostLabel]: 'h1' } },
  spec: { size: '1Gi' },
  status: { ...ready, storagePool: 'shared', attachments },
});
const snapshot = (volumeUID?: string): VolumeSnapshotObject => ({
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'VolumeSnapshot',
  metadata: { name: 's1', namespace: 'ns', uid: 'uid-s1' },
  spec: { volumeRef: { name: 'data' } },
  ...(volumeUID ? { status: { volumeUID } } : {}),
});
const place = (snap: VolumeSnapshotObject, vol: VolumeObject) =>
  placeSnapshot(snap, (ns, name) => (ns === 'ns' && name === 'data' ? vol : undefined));

describe('placeSnapshot', () => {
  it('places a snapshot of a detached volume on the volume’s host', () => {
    expect(place(snapshot(), volume())).toEqual({
      bind: 'h1',
      status: { storagePool: 'shared', volumeUID: 'uid-data' },
    });
  });

  it('does not wait for an attached volume: the instance’s host takes it through the VM', () => {
    expect(place(snapshot(), volume([{ instance: 'vm', host: 'h2' }]))).toEqual({
      bind: 'h2',
      status: { storagePool: 'shared', volumeUID: 'uid-data' },
    });
    // Deleting a taken snapshot of a volume still open goes through the same host.
    expect(place(snapshot('uid-data'), volume([{ instance: 'vm', host: 'h2' }]))).toMatchObject({
      bind: 'h2',
    });
  });

  it('refuses a snapshot whose volume was replaced by another of the same name', () => {
    expect(place(snapshot('uid-old'), volume())).toMatchObject({
      refuse: { reason: 'VolumeReplaced', retry: false },
    });
  });
});
