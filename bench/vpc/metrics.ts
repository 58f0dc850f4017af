// Counters read from Prometheus text (the manager's /metrics and the API server's), so a phase
// can say where its work went: reconciles per controller, API writes per resource.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string | Iterable<string>): Sample[] {
  const lines = typeof text === 'string' ? text.split('\n') : text;
  const samples: Sample[] = [];
  for (const l of lines) {
    if (l.startsWith('#')) continue;
    const m = line.exec(l.trim());
    if (!m) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    const labels: Record<string, string> = {};
    for (const [, k = '', v = ''] of (m[2] ?? '').matchAll(label)) labels[k] = v;
    samples.push({ name: m[1] ?? '', labels, value });
  }
  return samples;
}

/** Sums the samples of metric `name` by a key made from their labels (skipped when undefined). */
export function sumBy(
  samples: readonly Sample[],
  name: string,
  key: (labels: Record<string, string>) => string | undefined,
): Map<string, number> {
  const sums = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== name) continue;
    const k = key(s.labels);
    if (k === undefined) continue;
    sums.set(k, (sums.get(k) ?? 0) + s.value);
  }
  return sums;
}

/** `after - before` per key, dropping keys that did not grow. */
export function growth(
  after: Map<string, number>,
  before: Map<string, number>,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out.set(k, d);
  }
  return out;
}

export interface ManagerWork {
  /** Reconciles per controller. */
  reconciles: Map<string, number>;
  /** Seconds spent reconciling, per controller. */
  seconds: Map<string, number>;
}

export function managerWork(samples: readonly Sample[]): ManagerWork {
  const controller = (l: Record<string, string>) => l.controller;
  return {
    reconciles: sumBy(samples, 'controller_runtime_reconcile_total', controller),
    seconds: sumBy(samples, 'controller_runtime_reconcile_time_seconds_sum', controller),
  };
}

const writeVerbs = new Set(['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE']);

/**
 * API writes by `resource[/subresource] VERB`, for the resources of `group` and for events
 * (the operator's own writes and the benchmark's creates, nothing else writes there).
 */
export function apiWrites(samples: readonly Sample[], group: string): Map<string, number> {
  return sumBy(samples, 'apiserver_request_total', (l) => {
    const verb = l.verb ?? '';
    if (!writeVerbs.has(verb)) return undefined;
    if (l.group !== group && l.resource !== 'events') return undefined;
    const resource = l.subresource ? `${l.resource ?? ''}/${l.subresource}` : (l.resource ?? '');
    return `${resource} ${verb}`;
  });
}

/** Keys waiting in all the manager's work queues together. */
export function queueDepth(samples: readonly Sample[]): number {
  let n = 0;
  for (const s of samples) if (s.name === 'workqueue_depth') n += s.value;
  return n;
}

/**
 * The writes the operator made, from `apiWrites`' counts: every write but the creates of the
 * group's objects, which are the benchmark's own (the operator creates only events).
 */
export function operatorWrites(writes: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(writes).filter(
      ([what]) => what.startsWith('events ') || !what.endsWith(' POST'),
    ),
  );
}

/** `what n.nn` per kind of write, per object, most first, after their `total n.nn`. */
export function perObjectCell(writes: Readonly<Record<string, number>>, objects: number): string {
  const each = (n: number) => (n / objects).toFixed(2);
  const total = Object.values(writes).reduce((a, b) => a + b, 0);
  const parts = Object.entries(writes)
    .sort(([, a], [, b]) => b - a)
    .map(([what, n]) => `${what} ${each(n)}`);
  return [`total ${each(total)}`, ...parts].join('; ');
}
