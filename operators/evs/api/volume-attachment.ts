// VolumeAttachment: a Volume made usable by one Instance on one host. ECS creates one per disk
// of an Instance once the Instance has a host; EVS checks that the volume may be attached there
// (its pool reaches the host, it is not attached elsewhere unless multiAttach) and the host's
// agent says how QEMU opens it. Volume.status.attachments is the sum of a Volume's attachments.
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

export const volumeAttachmentPhases = [
  'Pending',
  'Attaching',
  'Attached',
  'Detaching',
  'Error',
  'Unknown',
] as const;

/** How QEMU opens the volume on the host: a file of a file pool, or an image of an RBD pool. */
const AttachTarget = Type.Object(
  {
    file: Type.Optional(
      Type.Object(
        {
          path: Type.String({ description: 'The volume’s file on the host.' }),
          format: Type.String({ description: 'The file’s format: qcow2 or raw.' }),
        },
        { description: 'A volume of a file pool.' },
      ),
    ),
    rbd: Type.Optional(
      Type.Object(
        {
          pool: Type.String({ description: 'The Ceph pool.' }),
          image: Type.String({ description: 'The RBD image.' }),
          user: Type.String({ description: 'The cephx user QEMU connects as.' }),
          conf: Type.String({
            description:
              'The Ceph configuration file on the host, naming the monitors and the keyring (the key itself is never in status).',
          }),
        },
        { description: 'A volume of an RBD pool.' },
      ),
    ),
  },
  { description: 'How the hypervisor on the host opens the volume; exactly one member is set.' },
);

export const VolumeAttachment = defineKind({
  group: 'evs.kcloud.io',
  version: 'v1alpha1',
  kind: 'VolumeAttachment',
  plural: 'volumeattachments',
  shortNames: ['evsattach'],
  scope: 'Namespaced',
  description:
    'VolumeAttachment makes a Volume usable by one Instance on one host. ECS creates and deletes them for the disks of its Instances; a Volume is InUse while it has one. A volume that is not multiAttach is attached to one Instance at a time: a second attachment waits.',
  spec: Immutable(
    Type.Object(
      {
        volumeRef: SameNamespaceRef('Volume', 'The Volume to attach.'),
        instanceRef: SameNamespaceRef('Instance', 'The Instance that uses the Volume.'),
        host: Type.String({
          description: 'The host the Instance runs on (a Host name).',
          minLength: 1,
          maxLength: 253,
        }),
        readOnly: Type.Optional(
          Type.Boolean({ description: 'Attach the volume read-only.', default: false }),
        ),
      },
      {
        description:
          'VolumeAttachmentSpec names the volume, its user and the host; it cannot be changed (an Instance moved to another host gets a new attachment).',
      },
    ),
    'an attachment cannot be changed: create a new VolumeAttachment',
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      phase: Type.Optional(Phase(volumeAttachmentPhases)),
      storagePool: Type.Optional(Type.String({ description: 'The StoragePool of the volume.' })),
      target: Type.Optional(AttachTarget),
    },
    { description: 'VolumeAttachmentStatus says whether and how the volume can be opened.' },
  ),
  printerColumns: [
    {
      name: 'Volume',
      type: 'string',
      jsonPath: '.spec.volumeRef.name',
      description: 'The attached Volume.',
    },
    {
      name: 'Instance',
      type: 'string',
      jsonPath: '.spec.instanceRef.name',
      description: 'The Instance using it.',
    },
    { name: 'Host', type: 'string', jsonPath: '.spec.host', description: 'The host.' },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type VolumeAttachmentSpec = SpecOf<typeof VolumeAttachment>;
export type VolumeAttachmentStatus = StatusOf<typeof VolumeAttachment>;
export type VolumeAttachmentObject = ObjectOf<typeof VolumeAttachment>;
export type AttachTargetStatus = NonNullable<VolumeAttachmentStatus['target']>;
