// VolumeSnapshot: a point-in-time copy of a Volume, kept in the Volume's pool.
import Type from 'typebox';
import {
  DeletionPolicy,
  Immutable,
  Int64,
  StandardStatus,
  defineKind,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';
import { SameNamespaceRef } from './storage-schema.ts';

export const VolumeSnapshot = defineKind({
  group: 'evs.kcloud.io',
  version: 'v1alpha1',
  kind: 'VolumeSnapshot',
  plural: 'volumesnapshots',
  shortNames: ['evssnap'],
  scope: 'Namespaced',
  description:
    'VolumeSnapshot is a point-in-time copy of a Volume, kept in its pool. New Volumes can be made from it and the Volume can be reverted to it (VolumeOperation). Deleting a snapshot never changes volumes made from it.',
  spec: Type.Object(
    {
      volumeRef: Immutable(
        SameNamespaceRef('Volume', 'The Volume to snapshot. It cannot be changed.'),
        'volumeRef is immutable',
      ),
      deletionPolicy: Type.Optional(
        DeletionPolicy(
          'What deleting the VolumeSnapshot does to the snapshot in the pool: Delete removes it, Retain keeps it for an administrator.',
        ),
      ),
    },
    { description: 'VolumeSnapshotSpec names the volume to snapshot.' },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      readyToUse: Type.Optional(
        Type.Boolean({ description: 'Whether the snapshot is taken and can be used.' }),
      ),
      sizeBytes: Type.Optional(
        Int64({ description: 'Size of the volume when the snapshot was taken.', minimum: 0 }),
      ),
      creationTime: Type.Optional(
        Type.String({ description: 'When the snapshot was taken.', format: 'date-time' }),
      ),
      storagePool: Type.Optional(Type.String({ description: 'The StoragePool it is in.' })),
      volumeUID: Type.Optional(
        Type.String({
          description:
            'metadata.uid of the Volume snapshotted: the snapshot stays tied to that Volume even if another with the same name is made later.',
        }),
      ),
    },
    { description: 'VolumeSnapshotStatus says whether the snapshot is taken and how big it is.' },
  ),
  printerColumns: [
    {
      name: 'Volume',
      type: 'string',
      jsonPath: '.spec.volumeRef.name',
      description: 'The snapshotted Volume.',
    },
    {
      name: 'ReadyToUse',
      type: 'boolean',
      jsonPath: '.status.readyToUse',
      description: 'Whether it can be used.',
    },
    {
      name: 'Taken',
      type: 'date',
      jsonPath: '.status.creationTime',
      description: 'When it was taken.',
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type VolumeSnapshotSpec = SpecOf<typeof VolumeSnapshot>;
export type VolumeSnapshotStatus = StatusOf<typeof VolumeSnapshot>;
export type VolumeSnapshotObject = ObjectOf<typeof VolumeSnapshot>;
