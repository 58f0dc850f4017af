// Image: a disk image volumes and instances boot from, imported into a StoragePool from a URL,
// a file on a host, or a Volume. Its format and checksum are found out, never taken on trust.
import Type from 'typebox';
import {
  Immutable,
  Int64,
  Phase,
  StandardStatus,
  StringEnum,
  defineKind,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';

export const imagePhases = [
  'Pending',
  'Importing',
  'Available',
  'Deleting',
  'Error',
  'Unknown',
] as const;

const Sha256 = (description: string) =>
  Type.String({ description, pattern: '^[0-9a-f]{64}$', minLength: 64, maxLength: 64 });

const ImageSource = Type.Object(
  {
    url: Type.Optional(
      Type.Object(
        {
          url: Type.String({
            description: 'An http or https URL of the image file.',
            maxLength: 2048,
            pattern: '^https?://[^\\s]+$',
          }),
          sha256: Sha256(
            'SHA-256 of the file at the URL, as 64 lower-case hex digits: the download is refused unless it matches.',
          ),
        },
        { description: 'Download the image from a URL.', 'x-kubernetes-map-type': 'atomic' },
      ),
    ),
    hostFile: Type.Optional(
      Type.Object(
        {
          host: Type.String({
            description: 'The Host the file is on.',
            minLength: 1,
            maxLength: 253,
          }),
          path: Type.String({
            description:
              "Absolute path of the file on that host, inside the agent's import directory (--image-import-dir).",
            pattern: '^/[A-Za-z0-9._/-]*$',
            maxLength: 1024,
          }),
          sha256: Type.Optional(Sha256('SHA-256 of the file; checked when given.')),
        },
        {
          description: 'Import a file that is already on a host.',
          'x-kubernetes-map-type': 'atomic',
          'x-kubernetes-validations': [
            {
              rule: "!self.path.split('/').exists(p, p == '..' || p == '.')",
              message: 'path must not contain . or .. segments',
            },
          ],
        },
      ),
    ),
    volume: Type.Optional(
      Type.Object(
        {
          name: Type.String({
            description: 'Name of the Volume, in the same namespace.',
            minLength: 1,
            maxLength: 253,
          }),
        },
        {
          description:
            'Copy a Volume (evs.kcloud.io) as it is now; it should not be attached while copied.',
          'x-kubernetes-map-type': 'atomic',
        },
      ),
    ),
  },
  {
    description: 'Where the image comes from: exactly one of url, hostFile or volume.',
    'x-kubernetes-validations': [
      {
        rule: '[has(self.url), has(self.hostFile), has(self.volume)].filter(x, x).size() == 1',
        message: 'source takes exactly one of url, hostFile or volume',
      },
    ],
  },
);

export const Image = defineKind({
  group: 'ecs.kcloud.io',
  version: 'v1alpha1',
  kind: 'Image',
  plural: 'images',
  shortNames: ['img'],
  scope: 'Namespaced',
  description:
    'Image is a disk image that volumes and instances start from, imported into a StoragePool. Its format, size and checksum are found out on import, never taken on trust. Images in the kcloud-public namespace are public: every namespace may use them.',
  spec: Type.Object(
    {
      source: Immutable(ImageSource, 'source is immutable'),
      format: Type.Optional(
        Immutable(
          StringEnum(['qcow2', 'raw'], {
            description:
              'The format the file is expected to have. The import finds the format itself and refuses the image when it differs.',
          }),
          'format is immutable',
        ),
      ),
      storagePoolRef: Type.Optional(
        Immutable(
          Type.Object(
            {
              name: Type.String({
                description: 'Name of the StoragePool.',
                minLength: 1,
                maxLength: 253,
              }),
            },
            {
              description:
                "The StoragePool to import into; omitted: the default VolumeType's pool. Volumes made from the image must be in this pool. It cannot be changed.",
              'x-kubernetes-map-type': 'atomic',
            },
          ),
          'storagePoolRef is immutable',
        ),
      ),
      osType: Type.Optional(
        StringEnum(['Linux', 'Windows', 'Other'], {
          description: 'The operating system in the image.',
          default: 'Linux',
        }),
      ),
      arch: Type.Optional(
        StringEnum(['x86_64', 'aarch64'], {
          description: 'The CPU architecture the image runs on.',
          default: 'x86_64',
        }),
      ),
      minDiskGiB: Type.Optional(
        Type.Integer({
          description: 'The smallest volume, in GiB, the image boots from.',
          minimum: 1,
          maximum: 32768,
        }),
      ),
      minMemoryMiB: Type.Optional(
        Type.Integer({
          description: 'The least memory, in MiB, an instance of the image needs.',
          minimum: 16,
          maximum: 4194304,
        }),
      ),
    },
    { description: 'ImageSpec says where the image comes from and what it is.' },
  ),
  specValidations: [
    {
      rule: 'has(self.format) == has(oldSelf.format) && has(self.storagePoolRef) == has(oldSelf.storagePoolRef)',
      message: 'format and storagePoolRef cannot be added or removed after creation',
    },
  ],
  status: Type.Object(
    {
      ...StandardStatus(),
      phase: Type.Optional(Phase(imagePhases)),
      format: Type.Optional(
        Type.String({ description: 'The format the import found in the file (qcow2 or raw).' }),
      ),
      virtualSizeBytes: Type.Optional(
        Int64({ description: 'The size of the disk the image holds, in bytes.', minimum: 0 }),
      ),
      sizeBytes: Type.Optional(
        Int64({ description: 'Bytes the image takes in its pool.', minimum: 0 }),
      ),
      sha256: Type.Optional(Sha256('SHA-256 of the imported file.')),
      storagePool: Type.Optional(Type.String({ description: 'The StoragePool it is in.' })),
      host: Type.Optional(
        Type.String({
          description: 'The host whose agent manages it; for a Local pool, where it is.',
        }),
      ),
    },
    { description: 'ImageStatus is what the import found.' },
  ),
  printerColumns: [
    {
      name: 'Format',
      type: 'string',
      jsonPath: '.status.format',
      description: 'The format found.',
    },
    {
      name: 'VirtualSize',
      type: 'integer',
      jsonPath: '.status.virtualSizeBytes',
      description: 'Disk size in bytes.',
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type ImageSpec = SpecOf<typeof Image>;
export type ImageStatus = StatusOf<typeof Image>;
export type ImageObject = ObjectOf<typeof Image>;
