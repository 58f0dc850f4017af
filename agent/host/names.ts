// The hosts one agent process answers for, and the label selector of the objects bound to them.
import { hostLabel } from '../../operators/ecs/api/index.ts';

/** `<host>` alone, or `<host>-sim-1` … `<host>-sim-N` when simulating N hosts. */
export function hostNames(hostName: string, simulate: number): string[] {
  if (simulate === 0) return [hostName];
  return Array.from({ length: simulate }, (_, i) => `${hostName}-sim-${String(i + 1)}`);
}

/** The selector of objects bound to `hosts`: `ecs.kcloud.io/host=a` or `… in (a,b,c)`. */
export function hostSelector(hosts: readonly string[]): string {
  if (hosts.length === 0) throw new Error('no hosts to select');
  return hosts.length === 1
    ? `${hostLabel}=${hosts[0] ?? ''}`
    : `${hostLabel} in (${hosts.join(',')})`;
}
