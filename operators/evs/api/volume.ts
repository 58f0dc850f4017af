// Volume: a block device of a given size in a StoragePool, blank or made from an image, a
// snapshot or another volume; attached to instances by ECS.
import Type from 'typebox';
import {
  DeletionPolicy,
  Immutable,
  Int64,
  Phase,
  StandardStatus,
  defineKind,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';
import { NoShrink, SameNamespaceRef, VolumeSize } from './storage-schema.ts';

/** The namespace whose Images every tenant may use. */
export const publicImagesNamespace = 'kcloud-public';

export const volumePhases = [
  'Pending',
  'Creating',
  'Available',
  'InUse',
  'Extending',
  'Deleting',
  'Error',
  'Unknown',
] as const;

/** A reference to an Image a volume's data are cloned from, in the Volume's namespace or the public one. */
export function ImageReference(description: string) {
  return Type.Object(
    {
      name: Type.String({ description: 'Name of the Image.', minLength: 1, maxLength: 253 }),
      namespace: Type.Optional(
        Type.String({
          description: `Where the Image is: omitted for the Volume's own namespace, or ${publicImagesNamespace} for a public image. Images of other namespaces cannot be used.`,
          maxLength: 63,
        }),
      ),
    },
    {
      description,
      'x-kubernetes-map-type': 'atomic',
      'x-kubernetes-validations': [
        {
          rule: `!has(self.namespace) || self.namespace == '${publicImagesNamespace}'`,
          message: `an image is in the Volume's namespace or in ${publicImagesNamespace} (public images)`,
        },
      ],
    },
  );
}

const ImageSource = ImageReference(
  'An Image (ecs.kcloud.io); the volume is a copy-on-write clone of it.',
);

export const Volume = defineKind({
  group: 'evs.kcloud.io',
  version: 'v1alpha1',
  kind: 'Volume',
  plural: 'volumes',
  shortNames: ['evs'],
  scope: 'Namespaced',
  description:
    'Volume is a block device for instances: a size in a pool chosen by its VolumeType, blank or made from an Image, a VolumeSnapshot or another Volume. It can grow while in use, never shrink.',
  spec: Type.Object(
    {
      size: NoShrink(
        VolumeSize(
          'Size of the volume, a whole number of GiB from 1Gi to 32Ti, such as 20Gi. Raising it grows the volume (also while attached); lowering it is refused.',
        ),
      ),
      volumeTypeRef: Type.Optional(
        Immutable(
          Type.Object(
            {
              name: Type.String({
                description: 'Name of the VolumeType.',
                minLength: 1,
                maxLength: 253,
              }),
            },
            {
              description:
                'The VolumeType (cluster-scoped): which pool and which I/O limits. Omitted: the default VolumeType. It cannot be changed.',
              'x-kubernetes-map-type': 'atomic',
            },
          ),
          'volumeTypeRef is immutable',
        ),
      ),
      source: Type.Optional(
        Immutable(
          Type.Object(
            {
              image: Type.Optional(ImageSource),
              snapshot: Type.Optional(
                SameNamespaceRef('VolumeSnapshot', 'A VolumeSnapshot to make the volume from.'),
              ),
              volume: Type.Optional(
                SameNamespaceRef('Volume', 'Another Volume to clone, as it is now.'),
              ),
            },
            {
              description:
                'What the volume starts with; omitted for a blank volume. Exactly one of image, snapshot or volume. It cannot be changed.',
              'x-kubernetes-validations': [
                {
                  rule: '[has(self.image), has(self.snapshot), has(self.volume)].filter(x, x).size() == 1',
                  message: 'source takes exactly one of image, snapshot or volume',
                },
              ],
            },
          ),
          'source is immutable',
        ),
      ),
      multiAttach: Type.Optional(
        Immutable(
          Type.Boolean({
            description:
              'Whether several instances may attach the volume at once (for cluster filesystems). It cannot be changed.',
            default: false,
          }),
          'multiAttach is immutable',
        ),
      ),
      deletionPolicy: Type.Optional(
        DeletionPolicy(
          'What deleting the Volume does to its data: Delete removes it from the pool, Retain keeps it there for an administrator.',
        ),
      ),
    },
    { description: 'VolumeSpec is the size, class and origin of a volume.' },
  ),
  specValidations: [
    {
      rule: 'has(self.volumeTypeRef) == has(oldSelf.volumeTypeRef) && has(self.source) == has(oldSelf.source)',
      message: 'volumeTypeRef and source cannot be added or removed after creation',
    },
  ],
  status: Type.Object(
    {
      ...StandardStatus(),
      phase: Type.Optional(Phase(volumePhases)),
      sizeBytes: Type.Optional(
        Int64({ description: 'The size of the volume in its pool, in bytes.', minimum: 0 }),
      ),
      allocatedBytes: Type.Optional(
        Int64({
          description:
            'Bytes the volume takes in its pool (thin volumes take less than their size).',
          minimum: 0,
        }),
      ),
      storagePool: Type.Optional(Type.String({ description: 'The StoragePool the volume is in.' })),
      host: Type.Optional(
        Type.String({
          description:
            'The host whose agent manages the volume; for a Local pool, the host the data is on.',
        }),
      ),
      qos: Type.Optional(
        Type.Object(
          {
            iops: Type.Optional(Int64({ description: 'I/O operations per second.', minimum: 1 })),
            bytesPerSecond: Type.Optional(Int64({ description: 'Bytes per second.', minimum: 1 })),
          },
          { description: 'The I/O limits of this volume from its VolumeType and size.' },
        ),
      ),
      image: Type.Optional(
        Type.Object(
          {
            name: Type.String({ description: 'Name of the Image.' }),
            namespace: Type.String({ description: 'Namespace of the Image.' }),
            uid: Type.String({ description: 'UID of the Image: which one of that name it was.' }),
          },
          {
            description:
              "The Image the volume's data were last made from: its source image at creation, then the image of its last reimage (a VolumeOperation). Absent for volumes made otherwise.",
          },
        ),
      ),
      attachments: Type.Optional(
        Type.Array(
          Type.Object(
            {
              instance: Type.String({ description: 'The Instance the volume is attached to.' }),
              host: Type.String({ description: 'The host the Instance runs on.' }),
              device: Type.Optional(
                Type.String({ description: 'The device in the guest, such as vdb.' }),
              ),
            },
            { description: 'One attachment.' },
          ),
          {
            description: 'Where the volume is attached.',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['instance'],
          },
        ),
      ),
    },
    { description: 'VolumeStatus is where the volume is and what it looks like.' },
  ),
  printerColumns: [
    { name: 'Size', type: 'string', jsonPath: '.spec.size', description: 'Requested size.' },
    {
      name: 'Type',
      type: 'string',
      jsonPath: '.spec.volumeTypeRef.name',
      description: 'The VolumeType.',
    },
    {
      name: 'Pool',
      type: 'string',
      jsonPath: '.status.storagePool',
      description: 'The StoragePool.',
      priority: 1,
    },
    {
      name: 'Host',
      type: 'string',
      jsonPath: '.status.host',
      description: 'The host that manages it.',
      priority: 1,
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type VolumeSpec = SpecOf<typeof Volume>;
export type VolumeStatus = StatusOf<typeof Volume>;
export type VolumeObject = ObjectOf<typeof Volume>;
