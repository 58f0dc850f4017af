// The vCPUs and memory an Instance holds on its host: from its Flavor or its inline resources.
import { formatBytes, quantityBytes } from '../../evs/api/index.ts';
import type { FlavorObject, InstanceObject } from '../api/index.ts';

export interface Resources {
  vcpu: number;
  memoryBytes: number;
}

export type ResolvedResources = Resources | { missingFlavor: string };

/** What the Instance asks for; a Flavor it names that does not exist (yet) is said so. */
export function requestedResources(
  instance: InstanceObject,
  flavor: (name: string) => FlavorObject | undefined,
): ResolvedResources {
  const inline = instance.spec.resources;
  if (inline) return { vcpu: inline.vcpu, memoryBytes: quantityBytes(inline.memory) };
  const name = instance.spec.flavorRef?.name ?? '';
  const f = flavor(name);
  if (!f) return { missingFlavor: name };
  return { vcpu: f.spec.vcpu, memoryBytes: quantityBytes(f.spec.memory) };
}

/** Memory for messages, in the largest binary unit that keeps it whole: 1536Mi, 4Gi. */
export const formatMemory = formatBytes;
