// StoragePool: where volumes and images live — a directory of qcow2 files on each host or on a
// filesystem every host mounts, or a pool of a Ceph cluster.
import Type from 'typebox';
import {
  Immutable,
  Int64,
  StandardStatus,
  StringEnum,
  defineKind,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';

const FilePool = Type.Object(
  {
    path: Type.String({
      description:
        'Absolute path of the directory that holds the pool on each host, such as /var/lib/kcloud/pools/local. It must exist on every host that offers the pool (for a Shared pool, the mount): a host without it does not reach the pool, and kcloud never creates it, so no volume lands on a disk nobody chose.',
      pattern: '^/[A-Za-z0-9._/-]*$',
      maxLength: 1024,
    }),
    scope: StringEnum(['Local', 'Shared'], {
      description:
        'Local: each host has its own directory at path and a volume stays on the host it was made on. Shared: path is the same filesystem on every host (NFS, CephFS, a cluster filesystem) and a volume can be used from any host.',
    }),
  },
  {
    description: 'A directory of qcow2 files.',
    'x-kubernetes-validations': [
      {
        rule: "!self.path.split('/').exists(p, p == '..' || p == '.')",
        message: 'path must not contain . or .. segments',
      },
    ],
  },
);

const RbdPool = Type.Object(
  {
    monitors: Type.Array(
      Type.String({
        description: 'A Ceph monitor as host:port, such as 10.0.0.1:6789 or [fd00::1]:3300.',
        pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$',
        maxLength: 261,
      }),
      { description: 'The Ceph monitors to connect to.', minItems: 1, maxItems: 16 },
    ),
    pool: Type.String({
      description: 'Name of the Ceph pool; it must exist and be initialised for RBD.',
      pattern: '^[A-Za-z0-9_.-]{1,100}$',
    }),
    user: Type.String({
      description:
        "The cephx user kcloud acts as, without the 'client.' prefix. Give it only 'profile rbd' on this pool.",
      pattern: '^[A-Za-z0-9_.-]{1,100}$',
    }),
    secretRef: Type.Object(
      {
        name: Type.String({ description: 'Name of the Secret.', minLength: 1, maxLength: 253 }),
        namespace: Type.String({
          description: 'Namespace of the Secret (where kcloud runs).',
          minLength: 1,
          maxLength: 63,
        }),
      },
      {
        description:
          "The Secret holding the user's cephx key under the data key `key` (as `ceph auth get-key` prints it).",
        'x-kubernetes-map-type': 'atomic',
      },
    ),
  },
  { description: 'A pool of a Ceph cluster, used through RBD.' },
);

export const StoragePool = defineKind({
  group: 'evs.kcloud.io',
  version: 'v1alpha1',
  kind: 'StoragePool',
  plural: 'storagepools',
  shortNames: ['evspool'],
  scope: 'Cluster',
  description:
    'StoragePool is where volumes and images live: a directory of qcow2 files (on each host, or on a filesystem every host mounts) or a pool of a Ceph cluster. Hosts report the pools they reach; VolumeTypes name a pool.',
  spec: Type.Object(
    {
      type: Immutable(
        StringEnum(['File', 'RBD'], {
          description:
            'The backend: File (qcow2 files in a directory) or RBD (Ceph). It cannot be changed.',
        }),
        'type is immutable',
      ),
      file: Type.Optional(Immutable(FilePool, 'file is immutable')),
      rbd: Type.Optional(Immutable(RbdPool, 'rbd is immutable')),
    },
    { description: 'StoragePoolSpec says what backend the pool is and where.' },
  ),
  specValidations: [
    {
      rule: "(self.type == 'File') == has(self.file) && (self.type == 'RBD') == has(self.rbd)",
      message: 'set file for type File and rbd for type RBD, and nothing else',
    },
  ],
  status: Type.Object(
    {
      ...StandardStatus(),
      capacityBytes: Type.Optional(
        Int64({
          description:
            'Total bytes of the pool: the sum over hosts for a Local file pool, the pool itself otherwise.',
          minimum: 0,
        }),
      ),
      availableBytes: Type.Optional(
        Int64({ description: 'Bytes still free, counted the same way.', minimum: 0 }),
      ),
      reachableHosts: Type.Optional(
        Type.Integer({
          description: 'How many Ready hosts reach the pool.',
          minimum: 0,
          maximum: 1000000,
        }),
      ),
    },
    { description: 'StoragePoolStatus is what the hosts report about the pool.' },
  ),
  printerColumns: [
    { name: 'Type', type: 'string', jsonPath: '.spec.type', description: 'The backend.' },
    {
      name: 'Scope',
      type: 'string',
      jsonPath: '.spec.file.scope',
      description: 'Local or Shared, for a file pool.',
    },
    {
      name: 'Hosts',
      type: 'integer',
      jsonPath: '.status.reachableHosts',
      description: 'Ready hosts that reach the pool.',
    },
    {
      name: 'Available',
      type: 'integer',
      jsonPath: '.status.availableBytes',
      description: 'Free bytes.',
      priority: 1,
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type StoragePoolSpec = SpecOf<typeof StoragePool>;
export type StoragePoolStatus = StatusOf<typeof StoragePool>;
export type StoragePoolObject = ObjectOf<typeof StoragePool>;

/** How a pool keeps data: on one host (Local file pool) or visible from all (Shared, RBD). */
export function poolScope(pool: {
  spec: { type: string; file?: { scope: string } };
}): 'Local' | 'Shared' {
  return pool.spec.type === 'File' && pool.spec.file?.scope === 'Local' ? 'Local' : 'Shared';
}
