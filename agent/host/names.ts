// The hosts one agent process answers for, and the scope of the objects bound to them.
import { createHash } from 'node:crypto';
import type { InformerScope } from '../../controllers/index.ts';
import { hostLabel } from '../../operators/ecs/api/index.ts';

/** `<host>` alone, or `<host>-sim-1` … `<host>-sim-N` when simulating N hosts. */
export function hostNames(hostName: string, simulate: number): string[] {
  if (simulate === 0) return [hostName];
  return Array.from({ length: simulate }, (_, i) => `${hostName}-sim-${String(i + 1)}`);
}

/**
 * Up to this many hosts the server is told their names (about 1.5 KB of selector); 5,000 would
 * make a selector of about 74 KB, a request header the API server refuses.
 */
export const maxNamedHosts = 100;

/**
 * The objects bound to `hosts`: `ecs.kcloud.io/host=a`, `… in (a,b,c)` up to maxNamedHosts,
 * beyond that every bound object (`ecs.kcloud.io/host`) kept on this side when its host is one
 * of them. Only a simulator has that many; it then lists other hosts' objects too, a cost for a
 * benchmark device only.
 */
export function hostScope(hosts: readonly string[]): InformerScope {
  const [first] = hosts;
  if (first === undefined) throw new Error('no hosts to select');
  if (hosts.length === 1) return { labelSelector: `${hostLabel}=${first}` };
  if (hosts.length <= maxNamedHosts)
    return { labelSelector: `${hostLabel} in (${hosts.join(',')})` };
  const names = new Set(hosts);
  const digest = createHash('sha256').update(hosts.join(',')).digest('hex').slice(0, 16);
  return {
    labelSelector: hostLabel,
    filter: {
      id: `hosts:${String(names.size)}:${digest}`,
      accepts: (obj) => names.has(obj.metadata.labels?.[hostLabel] ?? ''),
    },
  };
}
