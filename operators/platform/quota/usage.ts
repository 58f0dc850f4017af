// Usage and limits as flat maps of dimension → units (bytes for memory and storage), the form
// all quota arithmetic works in, and the conversions to and from the API's resource lists.
import { formatBytes, quantityBytes } from '../../evs/index.ts';
import type { ResourceListValue } from '../api/index.ts';

/** Dimension → units. `storage/<VolumeType>` holds bytes of that type, `memory` bytes. */
export type Usage = Record<string, number>;

const counts = [
  'instances',
  'vcpu',
  'volumes',
  'snapshots',
  'vpcs',
  'subnets',
  'securityGroups',
  'eips',
  'loadBalancers',
] as const;

export const storageKey = (volumeType: string) => `storage/${volumeType}`;

/** The flat form of a resource list: only the dimensions it names. */
export function fromResourceList(list: ResourceListValue | undefined): Usage {
  const out: Usage = {};
  if (!list) return out;
  for (const c of counts) if (list[c] !== undefined) out[c] = list[c];
  if (list.memory !== undefined) out.memory = quantityBytes(list.memory);
  for (const [type, size] of Object.entries(list.storage ?? {}))
    out[storageKey(type)] = quantityBytes(size);
  return out;
}

/** The API form of a flat usage. */
export function toResourceList(usage: Usage): ResourceListValue {
  const out: ResourceListValue = {};
  for (const c of counts) if (usage[c] !== undefined) out[c] = usage[c];
  if (usage.memory !== undefined) out.memory = formatBytes(usage.memory);
  for (const [key, v] of Object.entries(usage)) {
    if (!key.startsWith('storage/')) continue;
    out.storage = { ...out.storage, [key.slice('storage/'.length)]: formatBytes(v) };
  }
  return out;
}

export function add(a: Usage, b: Usage, sign = 1): Usage {
  const out: Usage = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + sign * v;
  return out;
}

export function sum(usages: Iterable<Usage>): Usage {
  let out: Usage = {};
  for (const u of usages) out = add(out, u);
  return out;
}

export function sameUsage(a: Usage, b: Usage): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
}

/** A dimension as people read it in a refusal or a condition. */
export function dimensionName(key: string): string {
  return key.startsWith('storage/') ? `storage of VolumeType ${key.slice(8)}` : key;
}

/** An amount of a dimension as people read it. */
export function formatAmount(key: string, units: number): string {
  return key === 'memory' || key.startsWith('storage/') ? formatBytes(units) : String(units);
}
