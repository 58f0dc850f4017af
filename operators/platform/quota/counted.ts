// Which kinds count against quotas, and what one object counts as. An object being deleted
// counts as nothing: its quota is free as soon as its deletion is asked for.
import type { KubeObject, ResourceRef } from '../../../controllers/kube/index.ts';
import { Flavor, Instance, type FlavorObject, type InstanceObject } from '../../ecs/index.ts';
import { EIP } from '../../eip/index.ts';
import {
  Volume,
  VolumeSnapshot,
  VolumeType,
  quantityBytes,
  type VolumeObject,
  type VolumeTypeObject,
} from '../../evs/index.ts';
import { LoadBalancer } from '../../slb/index.ts';
import { SecurityGroup, Subnet, VPC } from '../../vpc/index.ts';
import { storageKey, type Usage } from './usage.ts';

/** What counting needs besides the object: Flavors and the default VolumeType. */
export interface CountingLookups {
  flavor(name: string): FlavorObject | undefined;
  volumeTypes(): VolumeTypeObject[];
}

/** An object's size could not be told (its Flavor is missing). */
export class UncountableError extends Error {}

export interface CountedKind {
  resource: ResourceRef & { kind: string };
  usage(obj: KubeObject, lookups: CountingLookups): Usage;
}

function instanceUsage(obj: KubeObject, lookups: CountingLookups): Usage {
  const inst = obj as InstanceObject;
  let size = inst.spec.resources;
  if (!size && inst.spec.flavorRef) {
    const flavor = lookups.flavor(inst.spec.flavorRef.name);
    if (!flavor) {
      throw new UncountableError(
        `Flavor ${inst.spec.flavorRef.name} does not exist, so the instance's vCPUs and memory cannot be counted`,
      );
    }
    size = flavor.spec;
  }
  return size
    ? { instances: 1, vcpu: size.vcpu, memory: quantityBytes(size.memory) }
    : { instances: 1 };
}

/** The VolumeType a Volume counts under: its own, else the single default one. */
export function volumeTypeOf(vol: VolumeObject, lookups: CountingLookups): string {
  if (vol.spec.volumeTypeRef) return vol.spec.volumeTypeRef.name;
  const defaults = lookups.volumeTypes().filter((t) => t.spec.default === true);
  return defaults.length === 1 ? (defaults[0]?.metadata.name ?? '') : '';
}

function volumeUsage(obj: KubeObject, lookups: CountingLookups): Usage {
  const vol = obj as VolumeObject;
  const type = volumeTypeOf(vol, lookups);
  const usage: Usage = { volumes: 1 };
  if (type) usage[storageKey(type)] = quantityBytes(vol.spec.size);
  return usage;
}

const one = (dimension: string) => (): Usage => ({ [dimension]: 1 });

const ref = (k: { resource: ResourceRef; kind: string }) => ({ ...k.resource, kind: k.kind });

export const countedKinds: readonly CountedKind[] = [
  { resource: ref(Instance), usage: instanceUsage },
  { resource: ref(Volume), usage: volumeUsage },
  { resource: ref(VolumeSnapshot), usage: one('snapshots') },
  { resource: ref(VPC), usage: one('vpcs') },
  { resource: ref(Subnet), usage: one('subnets') },
  { resource: ref(SecurityGroup), usage: one('securityGroups') },
  { resource: ref(EIP), usage: one('eips') },
  { resource: ref(LoadBalancer), usage: one('loadBalancers') },
];

/** The kinds counting reads besides the counted ones. */
export const lookupKinds = [Flavor, VolumeType] as const;

/** group/kind/namespace/name: the key of an object in reservations. */
export const countedKey = (kind: CountedKind, ns: string, name: string) =>
  `${kind.resource.group}/${kind.resource.kind}/${ns}/${name}`;

export function countedKindOf(group: string, kind: string): CountedKind | undefined {
  return countedKinds.find((k) => k.resource.group === group && k.resource.kind === kind);
}

/** What an object counts as now: nothing once it is being deleted. */
export function usageOf(
  kind: CountedKind,
  obj: KubeObject | undefined,
  lookups: CountingLookups,
): Usage {
  if (!obj || obj.metadata.deletionTimestamp) return {};
  return kind.usage(obj, lookups);
}
