import { describe, expect, it } from '@jest/globals';
import { objectName } from '../backend/naming.ts';
import { openVolume, snapshotTag, volumeOpenFinalizer } from './live-snapshots.ts';
import type { VolumeAttachmentObject } from './volume-attachment.ts';

const attachment = (
  volume: string,
  finalizers: string[],
  target: VolumeAttachmentObject['status'] = {},
): VolumeAttachmentObject => ({
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'VolumeAttachment',
  metadata: { name: `vm-${volume}`, namespace: 'ns', finalizers },
  spec: { volumeRef: { name: volume }, instanceRef: { name: 'vm' }, host: 'h1' },
  status: target,
});

describe('the live snapshot contract', () => {
  it('names a snapshot in its volume’s image as every EVS backend does', () => {
    const uid = '0b6d7c36-5a0e-4c57-9b54-3f0f2e1c9a11';
    expect(snapshotTag(uid)).toBe(objectName('VolumeSnapshot', uid));
  });

  it('counts a volume open only while a hypervisor holds its attachment', () => {
    const file = { target: { file: { path: '/pools/a/vol-x.qcow2', format: 'qcow2' } } };
    const rbd = { target: { rbd: { pool: 'p', image: 'vol-x', user: 'u', conf: '/c' } } };
    expect(openVolume([attachment('data', ['evs.kcloud.io/data'], file)], 'data')).toBeUndefined();
    expect(openVolume([attachment('data', [volumeOpenFinalizer], file)], 'other')).toBeUndefined();
    expect(openVolume([attachment('data', [volumeOpenFinalizer], file)], 'data')).toEqual({
      consumerDeletesSnapshots: true,
    });
    // RBD snapshots are deleted by EVS whoever has the volume open.
    expect(openVolume([attachment('data', [volumeOpenFinalizer], rbd)], 'data')).toEqual({
      consumerDeletesSnapshots: false,
    });
  });
});
