// Which VolumeType a Volume gets, and the I/O limits that follow from it and the size.
import type { VolumeObject, VolumeTypeObject } from '../../api/index.ts';

export type TypeResolution = { type: VolumeTypeObject } | { reason: string; message: string };

/** The named type, or the one default type; a reason when there is none or more than one. */
export function resolveVolumeType(
  volume: VolumeObject,
  types: readonly VolumeTypeObject[],
): TypeResolution {
  const wanted = volume.spec.volumeTypeRef?.name;
  if (wanted !== undefined) {
    const type = types.find((t) => t.metadata.name === wanted);
    return type
      ? { type }
      : { reason: 'VolumeTypeNotFound', message: `VolumeType ${wanted} does not exist` };
  }
  const defaults = types.filter((t) => t.spec.default === true && !t.metadata.deletionTimestamp);
  const [only] = defaults;
  if (defaults.length === 1 && only) return { type: only };
  if (defaults.length === 0) {
    return {
      reason: 'NoDefaultVolumeType',
      message: 'the Volume names no volumeTypeRef and no VolumeType is the default',
    };
  }
  const names = defaults.map((t) => t.metadata.name ?? '').sort();
  return {
    reason: 'AmbiguousDefaultVolumeType',
    message: `the Volume names no volumeTypeRef and ${String(defaults.length)} VolumeTypes are the default (${names.join(', ')}): name one, or leave one default`,
  };
}

type Limit = { base?: number; perGiB?: number; max?: number } | undefined;

function scaled(limit: Limit, sizeGiB: number): number | undefined {
  if (!limit) return undefined;
  const value = (limit.base ?? 0) + (limit.perGiB ?? 0) * sizeGiB;
  return limit.max !== undefined ? Math.min(limit.max, value) : value;
}

/** A volume's limits: min(max, base + perGiB × size in GiB) for IOPS and bytes/s. */
export function effectiveQos(
  type: VolumeTypeObject,
  sizeBytes: number,
): { iops?: number; bytesPerSecond?: number } {
  const sizeGiB = Math.ceil(sizeBytes / 1024 ** 3);
  const iops = scaled(type.spec.qos?.iops, sizeGiB);
  const bytesPerSecond = scaled(type.spec.qos?.bytesPerSecond, sizeGiB);
  return {
    ...(iops !== undefined ? { iops } : {}),
    ...(bytesPerSecond !== undefined ? { bytesPerSecond } : {}),
  };
}
