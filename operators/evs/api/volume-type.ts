// VolumeType: a class of volumes — the pool they are made in and their I/O limits.
import Type from 'typebox';
import {
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
import { ClusterRef } from './storage-schema.ts';

/** A limit that grows with the volume: min(max, base + perGiB × size in GiB). */
function ScaledLimit(what: string, unit: string) {
  return Type.Object(
    {
      base: Type.Optional(
        Int64({ description: `${what} every volume gets, in ${unit}.`, minimum: 0 }),
      ),
      perGiB: Type.Optional(
        Int64({ description: `${what} added per GiB of volume size, in ${unit}.`, minimum: 0 }),
      ),
      max: Type.Optional(
        Int64({
          description: `The most ${what} a volume of this type gets, in ${unit}.`,
          minimum: 1,
        }),
      ),
    },
    {
      description: `${what} of a volume: min(max, base + perGiB × size in GiB). Omitted: unlimited.`,
      'x-kubernetes-validations': [
        {
          rule: '(has(self.base) && self.base > 0) || (has(self.perGiB) && self.perGiB > 0)',
          message: 'give base or perGiB (above 0); omit the limit for unlimited',
        },
      ],
    },
  );
}

export const VolumeType = defineKind({
  group: 'evs.kcloud.io',
  version: 'v1alpha1',
  kind: 'VolumeType',
  plural: 'volumetypes',
  shortNames: ['evstype'],
  scope: 'Cluster',
  description:
    'VolumeType is a class of volumes users choose from, such as normal, high or ultra-high I/O: the StoragePool its volumes are made in and their I/O limits. A Volume without a type gets the default one.',
  spec: Type.Object(
    {
      storagePoolRef: Immutable(
        ClusterRef(
          'StoragePool',
          'The pool volumes of this type are made in. It cannot be changed.',
        ),
        'storagePoolRef is immutable',
      ),
      qos: Type.Optional(
        Type.Object(
          {
            iops: Type.Optional(ScaledLimit('I/O operations per second', 'operations/s')),
            bytesPerSecond: Type.Optional(ScaledLimit('Throughput', 'bytes/s')),
          },
          {
            description:
              'I/O limits applied to each volume of this type where it is attached. Changing them applies to volumes attached afterwards.',
          },
        ),
      ),
      default: Type.Optional(
        Type.Boolean({
          description:
            'Whether Volumes without volumeTypeRef get this type. With more than one default type, such Volumes are refused until one is left.',
          default: false,
        }),
      ),
    },
    { description: 'VolumeTypeSpec names the pool and the limits of a class of volumes.' },
  ),
  status: Type.Object(
    { ...StandardStatus() },
    { description: 'VolumeTypeStatus says whether volumes of this type can be made.' },
  ),
  printerColumns: [
    {
      name: 'Pool',
      type: 'string',
      jsonPath: '.spec.storagePoolRef.name',
      description: 'The StoragePool.',
    },
    {
      name: 'Default',
      type: 'boolean',
      jsonPath: '.spec.default',
      description: 'Whether Volumes without a type get this one.',
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type VolumeTypeSpec = SpecOf<typeof VolumeType>;
export type VolumeTypeStatus = StatusOf<typeof VolumeType>;
export type VolumeTypeObject = ObjectOf<typeof VolumeType>;
