// Where a phase's time went in the manager: reconciles per controller and their mean time, from
// its /metrics read before and after the phase.
import { formatCount } from '../lib/progress.ts';
import type { ManagerWork } from '../vpc/metrics.ts';

export interface Work {
  reconciles: Record<string, number>;
  seconds: Record<string, number>;
}

export function workBetween(before: ManagerWork, after: ManagerWork): Work {
  const diff = (a: Map<string, number>, b: Map<string, number>) =>
    Object.fromEntries(
      [...b].map(([k, v]) => [k, v - (a.get(k) ?? 0)] as const).filter(([, v]) => v > 0),
    );
  return {
    reconciles: diff(before.reconciles, after.reconciles),
    seconds: diff(before.seconds, after.seconds),
  };
}

/** `loadbalancer 300 (12 ms each); …`, most reconciles first. */
export function workCell(w: Work): string {
  const cells = Object.entries(w.reconciles)
    .sort(([, a], [, b]) => b - a)
    .map(([name, n]) => {
      const each = ((w.seconds[name] ?? 0) * 1000) / n;
      return `${name.replace(/-controller$/, '')} ${formatCount(n)} (${each.toFixed(0)} ms each)`;
    });
  return cells.length > 0 ? cells.join('; ') : 'none';
}
