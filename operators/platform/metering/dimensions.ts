// What each metered kind is charged for, and how much of it one object holds now. The size is
// read when a record is written: a resize counts from the next record on.
import type { KubeObject, ResourceRef } from '../../../controllers/kube/index.ts';
import { Instance, type InstanceObject } from '../../ecs/api/index.ts';
import { EIP } from '../../eip/api/index.ts';
import { GiB, quantityBytes, Volume, type VolumeObject } from '../../evs/api/index.ts';
import { volumeTypeOf, type CountingLookups } from '../quota/counted.ts';

/** One thing an object is charged for: e.g. 4 `vCPU` of `vcpu-hours`. */
export interface Usage {
  dimension: string;
  quantity: number;
  unit: string;
}

/** Flavors and the default VolumeType, as quota counting reads them. */
export type MeteringLookups = CountingLookups;

export interface MeteredKind {
  resource: ResourceRef & { kind: string };
  usage(obj: KubeObject, lookups: MeteringLookups): Usage[];
}

/** Inline resources instead of a Flavor. */
export const customFlavor = 'custom';
/** A Volume without a VolumeType while there is no single default one. */
export const noVolumeType = 'none';

/**
 * An instance is charged per hour of its flavor, and per vCPU-hour and GiB-hour of memory. When
 * its Flavor no longer exists, its size cannot be told: only the instance-hours are written.
 */
function instanceUsage(obj: KubeObject, lookups: MeteringLookups): Usage[] {
  const spec = (obj as InstanceObject).spec;
  const flavor = spec.flavorRef?.name;
  const size = spec.resources ?? (flavor !== undefined ? lookups.flavor(flavor)?.spec : undefined);
  const usage: Usage[] = [
    { dimension: `instance-hours:${flavor ?? customFlavor}`, quantity: 1, unit: 'instance' },
  ];
  if (size) {
    usage.push(
      { dimension: 'vcpu-hours', quantity: size.vcpu, unit: 'vCPU' },
      { dimension: 'memory-gib-hours', quantity: quantityBytes(size.memory) / GiB, unit: 'GiB' },
    );
  }
  return usage;
}

function volumeUsage(obj: KubeObject, lookups: MeteringLookups): Usage[] {
  const volume = obj as VolumeObject;
  const type = volumeTypeOf(volume, lookups) || noVolumeType;
  return [
    {
      dimension: `storage-gib-hours:${type}`,
      quantity: quantityBytes(volume.spec.size) / GiB,
      unit: 'GiB',
    },
  ];
}

const ref = (k: { resource: ResourceRef; kind: string }) => ({ ...k.resource, kind: k.kind });

/** Every kind metering charges for. EIP bandwidth is not here: it needs data-plane counters. */
export const meteredKinds: readonly MeteredKind[] = [
  { resource: ref(Instance), usage: instanceUsage },
  { resource: ref(Volume), usage: volumeUsage },
  { resource: ref(EIP), usage: () => [{ dimension: 'eip-hours', quantity: 1, unit: 'EIP' }] },
];
