import { describe, expect, it } from '@jest/globals';
import { hostLabel } from '../../../../controllers/host/index.ts';
import type { StoragePoolObject, VolumeAttachmentObject, VolumeObject } from '../../api/index.ts';
import { placeAttachment, VolumeClaims, type AttachmentWorld } from './attachment-placement.ts';
import type { HostView } from './hosts.ts';

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
const pool = (name: string, scope: 'Local' | 'Shared'): StoragePoolObject => ({
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'StoragePool',
  metadata: { name },
  spec: { type: 'File', file: { path: `/pools/${name}`, scope } },
});
const host = (name: string, pools: string[]): HostView => ({
  name,
  ready: true,
  schedulable: true,
  pools: new Map(pools.map((p) => [p, { availableBytes: 1, capacityBytes: 1 }])),
});
const volume = (name: string, poolName: string, on: string, multiAttach = false): VolumeObject => ({
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'Volume',
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { [hostLabel]: on } },
  spec: { size: '10Gi', multiAttach },
  status: { ...ready, storagePool: poolName },
});
const attachment = (
  name: string,
  vol: string,
  on: string,
  over: Partial<VolumeAttachmentObject['metadata']> = {},
): VolumeAttachmentObject => ({
  apiVersion: 'evs.kcloud.io/v1alpha1',
  kind: 'VolumeAttachment',
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, ...over },
  spec: { volumeRef: { name: vol }, instanceRef: { name: `vm-${name}` }, host: on },
});

function world(
  volumes: VolumeObject[],
  attachments: VolumeAttachmentObject[] = [],
): AttachmentWorld {
  const pools = [pool('local', 'Local'), pool('shared', 'Shared')];
  const hosts = [
    host('h1', ['local', 'shared']),
    host('h2', ['local', 'shared']),
    host('h3', ['local']),
  ];
  return {
    volume: (_ns, n) => volumes.find((v) => v.metadata.name === n),
    pool: (n) => pools.find((p) => p.metadata.name === n),
    host: (n) => hosts.find((h) => h.name === n),
    attachmentsOf: (_ns, v) => attachments.filter((a) => a.spec.volumeRef.name === v),
  };
}

describe('placeAttachment', () => {
  it('binds to the host the spec names, with the volume’s pool', () => {
    const a = attachment('a', 'data', 'h2');
    expect(
      placeAttachment(a, world([volume('data', 'shared', 'h1')], [a]), new VolumeClaims()),
    ).toEqual({
      bind: 'h2',
      status: { storagePool: 'shared' },
    });
  });

  it('refuses a Local pool’s volume for an instance on another host, and waits for a Shared pool the host does not reach', () => {
    const a = attachment('a', 'data', 'h2');
    expect(
      placeAttachment(a, world([volume('data', 'local', 'h1')], [a]), new VolumeClaims()),
    ).toMatchObject({ refuse: { reason: 'VolumeOnOtherHost', retry: false } });
    const b = attachment('b', 'data', 'h3');
    expect(
      placeAttachment(b, world([volume('data', 'shared', 'h1')], [b]), new VolumeClaims()),
    ).toMatchObject({ wait: { reason: 'PoolNotReachable' } });
  });

  it('waits for a missing or unready volume', () => {
    const a = attachment('a', 'data', 'h1');
    expect(placeAttachment(a, world([], [a]), new VolumeClaims())).toMatchObject({
      wait: { reason: 'VolumeNotFound' },
    });
    const unready = { ...volume('data', 'shared', 'h1'), status: { storagePool: 'shared' } };
    expect(placeAttachment(a, world([unready], [a]), new VolumeClaims())).toMatchObject({
      wait: { reason: 'WaitingForVolume' },
    });
  });

  it('gives a single-attach volume to one attachment; the other waits until it is deleted', () => {
    const vol = volume('data', 'shared', 'h1');
    const held = attachment('a', 'data', 'h1', { labels: { [hostLabel]: 'h1' } });
    const late = attachment('b', 'data', 'h2');
    const claims = new VolumeClaims();
    expect(placeAttachment(late, world([vol], [held, late]), claims)).toMatchObject({
      wait: { reason: 'VolumeAttachedElsewhere', message: expect.stringContaining('vm-a') },
    });
    // Being deleted, it still holds the volume until it is gone (its disk is unplugged first).
    const deleting = { ...held, metadata: { ...held.metadata, deletionTimestamp: 'now' } };
    expect(placeAttachment(late, world([vol], [deleting, late]), claims)).toMatchObject({
      wait: { reason: 'VolumeAttachedElsewhere' },
    });
    expect(placeAttachment(late, world([vol], [late]), claims)).toMatchObject({ bind: 'h2' });
  });

  it('lets only the first of two attachments decided before either binding is seen win', () => {
    const vol = volume('data', 'shared', 'h1');
    const a = attachment('a', 'data', 'h1');
    const b = attachment('b', 'data', 'h2');
    const claims = new VolumeClaims();
    const w = world([vol], [a, b]);
    expect(placeAttachment(a, w, claims)).toMatchObject({ bind: 'h1' });
    expect(placeAttachment(b, w, claims)).toMatchObject({
      wait: { reason: 'VolumeAttachedElsewhere' },
    });
    // Decided again (a retry), the winner still wins.
    expect(placeAttachment(a, w, claims)).toMatchObject({ bind: 'h1' });
    // Once the winner is gone, the other may go.
    expect(placeAttachment(b, world([vol], [b]), claims)).toMatchObject({ bind: 'h2' });
  });

  it('attaches a multiAttach volume to several instances', () => {
    const vol = volume('data', 'shared', 'h1', true);
    const a = attachment('a', 'data', 'h1', { labels: { [hostLabel]: 'h1' } });
    const b = attachment('b', 'data', 'h2');
    expect(placeAttachment(b, world([vol], [a, b]), new VolumeClaims())).toMatchObject({
      bind: 'h2',
    });
  });

  it('keeps an attachment bound once it is, even if its volume started deleting', () => {
    const vol = volume('data', 'shared', 'h1');
    const gone = { ...vol, metadata: { ...vol.metadata, deletionTimestamp: 'now' } };
    const a = attachment('a', 'data', 'h1', { labels: { [hostLabel]: 'h1' } });
    expect(placeAttachment(a, world([gone], [a]), new VolumeClaims())).toMatchObject({
      bind: 'h1',
    });
    const b = attachment('b', 'data', 'h1');
    expect(placeAttachment(b, world([gone], [b]), new VolumeClaims())).toMatchObject({
      refuse: { reason: 'VolumeDeleting' },
    });
  });
});
