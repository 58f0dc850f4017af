// The arithmetic of the benchmark's figures, apart from anything that runs: latencies from
// slots and observed times, the rate of scheduling decisions, and the API requests kcloud made.
import { growth, sumBy, type Sample } from '../vpc/metrics.ts';

/** `done[i] - slot[i]` for every index that has both, in index order. */
export function latencies(
  slots: readonly number[],
  done: readonly (number | undefined)[],
): number[] {
  const out: number[] = [];
  slots.forEach((slot, i) => {
    const at = done[i];
    if (at !== undefined) out.push(at - slot);
  });
  return out;
}

/** The `n` indexes slowest from bound to Running, slowest first. */
export function slowestAfterBinding(
  boundAt: readonly (number | undefined)[],
  runningAt: readonly (number | undefined)[],
  n: number,
): { index: number; boundAt: number; ms: number }[] {
  const all: { index: number; boundAt: number; ms: number }[] = [];
  boundAt.forEach((b, index) => {
    const r = runningAt[index];
    if (b !== undefined && r !== undefined) all.push({ index, boundAt: b, ms: r - b });
  });
  return all.sort((a, b) => b.ms - a.ms || a.index - b.index).slice(0, n);
}

export interface DecisionRate {
  count: number;
  /** From the first decision seen to the last. */
  spanMs: number;
  /** count over the span (NaN for fewer than two). */
  perSecond: number;
  /** The most decisions seen in any one-second window. */
  peakPerSecond: number;
}

/** How fast hosts were given, from the times each instance was first seen bound. */
export function decisionRate(times: readonly number[]): DecisionRate {
  const sorted = [...times].sort((a, b) => a - b);
  const count = sorted.length;
  const first = sorted[0] ?? NaN;
  const last = sorted[count - 1] ?? NaN;
  const spanMs = count > 0 ? last - first : 0;
  let peak = 0;
  let start = 0;
  for (let end = 0; end < count; end++) {
    while ((sorted[end] ?? 0) - (sorted[start] ?? 0) >= 1000) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return {
    count,
    spanMs,
    perSecond: count > 1 && spanMs > 0 ? ((count - 1) * 1000) / spanMs : NaN,
    peakPerSecond: peak,
  };
}

/** kube-apiserver's `apiserver_request_total` by `resource[/subresource] VERB` (resources only). */
export function requestCounts(samples: readonly Sample[]): Map<string, number> {
  return sumBy(samples, 'apiserver_request_total', (l) => {
    const resource = l.resource ?? '';
    if (resource === '') return undefined; // /metrics, /healthz, discovery: not kcloud's work
    const what = l.subresource ? `${resource}/${l.subresource}` : resource;
    return `${what} ${l.verb ?? ''}`;
  });
}

export interface KcloudRequests {
  /** Requests by `resource[/subresource] VERB`, the benchmark's creates and heartbeats left out. */
  byKind: Record<string, number>;
  total: number;
  /** Lease requests: the agent's heartbeats, which go on whatever the instances do. */
  heartbeats: number;
}

/**
 * The requests made between two readings of the API server's counters, less the benchmark's
 * own creates of Instances (nothing in kcloud creates one) and the heartbeat Leases.
 */
export function kcloudRequests(
  before: Map<string, number>,
  after: Map<string, number>,
): KcloudRequests {
  const byKind: Record<string, number> = {};
  let total = 0;
  let heartbeats = 0;
  for (const [what, n] of growth(after, before)) {
    if (what === 'instances POST') continue;
    if (what.startsWith('leases ')) {
      heartbeats += n;
      continue;
    }
    byKind[what] = n;
    total += n;
  }
  return { byKind, total, heartbeats };
}

/** `total n.nn; what n.nn; …` per instance, most first; kinds under 0.01 each are summed. */
export function perInstanceCell(r: KcloudRequests, instances: number): string {
  const each = (n: number) => (n / instances).toFixed(2);
  const sorted = Object.entries(r.byKind).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  const shown = sorted.filter(([, n]) => n / instances >= 0.005);
  const rest = sorted.filter(([, n]) => n / instances < 0.005).reduce((a, [, n]) => a + n, 0);
  return [
    `total ${each(r.total)}`,
    ...shown.map(([what, n]) => `${what} ${each(n)}`),
    ...(rest > 0 ? [`others ${each(rest)}`] : []),
  ].join('; ');
}

/** Requests a kcloud process sent (its `rest_client_requests_total`, every method and code). */
export function clientRequests(samples: readonly Sample[]): number {
  let n = 0;
  for (const s of samples) if (s.name === 'rest_client_requests_total') n += s.value;
  return n;
}

/** Seconds keys waited in each controller's work queue before a worker took them, and how many. */
export function queueWaits(samples: readonly Sample[]): {
  seconds: Map<string, number>;
  count: Map<string, number>;
} {
  const controller = (l: Record<string, string>) => l.controller ?? l.name;
  return {
    seconds: sumBy(samples, 'workqueue_queue_duration_seconds_sum', controller),
    count: sumBy(samples, 'workqueue_queue_duration_seconds_count', controller),
  };
}
