// Where a quota lets its scope put things: the StoragePools its volumes may be made in and the
// host groups its instances may run in. A department that pays for a pool of its own or for its
// own racks is held to them; absent means anywhere. Unlike a limit this is not counted: it is
// checked on each create, and on an update that moves the object.
import type { KubeObject } from '../../../controllers/kube/index.ts';
import { Instance, topologyLabels, type InstanceObject } from '../../ecs/index.ts';
import { Volume, type VolumeObject } from '../../evs/index.ts';
import type { QuotaObject } from '../api/index.ts';
import { volumeTypeOf, type CountedKind, type CountingLookups } from './counted.ts';
import { scopeName } from './scopes.ts';

/** Where an object goes, as far as quotas restrict it. */
export type Placement =
  | { kind: 'storagePool'; pool: string | undefined; why?: string }
  | { kind: 'hostGroup'; groups: string[] }
  | { kind: 'none' };

const isKind = (kind: CountedKind, k: { resource: { group: string }; kind: string }) =>
  kind.resource.group === k.resource.group && kind.resource.kind === k.kind;

/**
 * The StoragePool of a volume (through its VolumeType, or the default one), or the host groups
 * an instance names: `placement.hostGroup` and a `topology.kcloud.io/host-group` host selector,
 * which the scheduler both requires.
 */
export function placementOf(
  kind: CountedKind,
  obj: KubeObject,
  lookups: CountingLookups,
): Placement {
  if (isKind(kind, Volume)) {
    const typeName = volumeTypeOf(obj as VolumeObject, lookups);
    if (!typeName) {
      return {
        kind: 'storagePool',
        pool: undefined,
        why: 'it names no VolumeType and no single VolumeType is the default',
      };
    }
    const type = lookups.volumeTypes().find((t) => t.metadata.name === typeName);
    if (!type) {
      return { kind: 'storagePool', pool: undefined, why: `VolumeType ${typeName} does not exist` };
    }
    return { kind: 'storagePool', pool: type.spec.storagePoolRef.name };
  }
  if (isKind(kind, Instance)) {
    const placement = (obj as InstanceObject).spec.placement;
    const named = [placement?.hostGroup, placement?.hostSelector?.[topologyLabels.hostGroup]];
    return { kind: 'hostGroup', groups: [...new Set(named.filter((g) => g !== undefined))] };
  }
  return { kind: 'none' };
}

export function samePlacement(a: Placement, b: Placement): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const list = (names: readonly string[]) => names.join(', ');

/** Why a quota on the path refuses the placement; undefined when every one allows it. */
export function placementViolation(
  quotas: readonly QuotaObject[],
  placement: Placement,
): string | undefined {
  for (const q of quotas) {
    const where = `${scopeName(q)} (Quota ${q.metadata.name ?? ''})`;
    if (placement.kind === 'storagePool' && q.spec.storagePools) {
      const allowed = q.spec.storagePools;
      if (placement.pool === undefined) {
        return `the volume's StoragePool cannot be told (${placement.why ?? 'unknown'}), and ${where} allows only StoragePools ${list(allowed)}`;
      }
      if (!allowed.includes(placement.pool)) {
        return `${where} allows volumes only in StoragePools ${list(allowed)}, not in ${placement.pool}: choose a VolumeType of one of them`;
      }
    }
    if (placement.kind === 'hostGroup' && q.spec.hostGroups) {
      const allowed = q.spec.hostGroups;
      if (placement.groups.length === 0) {
        return `${where} allows instances only in host groups ${list(allowed)}: set spec.placement.hostGroup to one of them`;
      }
      const outside = placement.groups.filter((g) => !allowed.includes(g));
      if (outside.length > 0) {
        return `${where} allows instances only in host groups ${list(allowed)}, not in ${list(outside)}`;
      }
    }
  }
  return undefined;
}

/**
 * What a quota allows that a quota above it does not: a child's lists must be within its
 * parent's, as its limits must fit in what the parent has left.
 */
export function placementOutsideParent(
  q: QuotaObject,
  ancestors: readonly QuotaObject[],
): string | undefined {
  for (const a of ancestors) {
    for (const field of ['storagePools', 'hostGroups'] as const) {
      const mine = q.spec[field];
      const theirs = a.spec[field];
      // A child without a list is held to its parent's by admission all the same.
      if (!theirs || !mine) continue;
      const what = field === 'storagePools' ? 'StoragePools' : 'host groups';
      const outside = mine.filter((n) => !theirs.includes(n));
      if (outside.length > 0) {
        return `${what} ${list(outside)} are not allowed by ${scopeName(a)} (Quota ${a.metadata.name ?? ''}), which allows ${list(theirs)}`;
      }
    }
  }
  return undefined;
}
