// VolumeOperation: a one-shot action on a Volume that is not desired state (revert to a
// snapshot, reimage from an Image), as its own object so that it is auditable, idempotent and can live in Git.
import Type from 'typebox';
import {
  Immutable,
  Phase,
  StandardStatus,
  defineKind,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';
import { SameNamespaceRef } from './storage-schema.ts';
import { ImageReference } from './volume.ts';

export const volumeOperationPhases = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;

export const VolumeOperation = defineKind({
  group: 'evs.kcloud.io',
  version: 'v1alpha1',
  kind: 'VolumeOperation',
  plural: 'volumeoperations',
  shortNames: ['evsop'],
  scope: 'Namespaced',
  description:
    'VolumeOperation runs one action on a Volume once: reverting it to a snapshot, or reimaging it from an Image. It records when it ran and how it ended; applying it again does nothing. Delete it when no longer needed.',
  spec: Immutable(
    Type.Object(
      {
        volumeRef: SameNamespaceRef('Volume', 'The Volume to act on.'),
        revert: Type.Optional(
          Type.Object(
            {
              snapshotRef: SameNamespaceRef(
                'VolumeSnapshot',
                'The snapshot of this Volume to go back to. Everything written after it is lost.',
              ),
            },
            {
              description:
                'Revert the Volume to a snapshot. The Volume must not be attached; the operation waits until it is detached.',
            },
          ),
        ),
        reimage: Type.Optional(
          Type.Object(
            {
              imageRef: ImageReference(
                "The Image (ecs.kcloud.io) the Volume's data become a fresh copy-on-write clone of.",
              ),
            },
            {
              description:
                "Replace the Volume's data with a fresh clone of an Image, keeping the Volume (name, uid, size, type, pool). Everything on the Volume is lost. The Volume must not be attached (the operation waits until it is detached), must be at least as large as the Image and must have no VolumeSnapshots.",
            },
          ),
        ),
      },
      {
        description:
          'VolumeOperationSpec is the action; it cannot be changed (create a new operation instead).',
        'x-kubernetes-validations': [
          {
            rule: '[has(self.revert), has(self.reimage)].filter(x, x).size() == 1',
            message: 'name the action: exactly one of revert or reimage',
          },
        ],
      },
    ),
    'an operation cannot be changed: create a new VolumeOperation',
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      phase: Type.Optional(Phase(volumeOperationPhases)),
      startTime: Type.Optional(
        Type.String({ description: 'When the action started.', format: 'date-time' }),
      ),
      completionTime: Type.Optional(
        Type.String({ description: 'When the action ended.', format: 'date-time' }),
      ),
    },
    { description: 'VolumeOperationStatus says whether and how the action ran.' },
  ),
  printerColumns: [
    {
      name: 'Volume',
      type: 'string',
      jsonPath: '.spec.volumeRef.name',
      description: 'The Volume acted on.',
    },
    {
      name: 'Snapshot',
      type: 'string',
      jsonPath: '.spec.revert.snapshotRef.name',
      description: 'The snapshot reverted to.',
    },
    {
      name: 'Image',
      type: 'string',
      jsonPath: '.spec.reimage.imageRef.name',
      description: 'The Image reimaged from.',
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type VolumeOperationSpec = SpecOf<typeof VolumeOperation>;
export type VolumeOperationStatus = StatusOf<typeof VolumeOperation>;
export type VolumeOperationObject = ObjectOf<typeof VolumeOperation>;
