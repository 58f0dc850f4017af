import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * What a WorkQueue reports. The queue passes its own Clock's time (ms since the epoch) to
 * every hook, so durations follow a FakeClock in tests.
 */
export interface QueueMetrics {
  /** A key became waiting (not called for a key that is already waiting). */
  add(key: string, now: number): void;
  /** A key was handed to a worker. */
  get(key: string, now: number): void;
  /** A worker finished a key. */
  done(key: string, now: number): void;
  /** A delayed or rate-limited add. */
  retry(): void;
  /** Recomputes the gauges of work in progress; the queue calls it periodically. */
  updateUnfinishedWork(now: number): void;
}

type Labels = 'name' | 'controller';

interface Families {
  depth: Gauge<Labels>;
  adds: Counter<Labels>;
  latency: Histogram<Labels>;
  workDuration: Histogram<Labels>;
  unfinished: Gauge<Labels>;
  longestRunning: Gauge<Labels>;
  retries: Counter<Labels>;
}

// 10 ns to 1000 s by decades, as controller-runtime's ExponentialBuckets(10e-9, 10, 12), written
// out so the `le` labels are exact decimals.
const durationBuckets = Array.from({ length: 12 }, (_, i) => Number(`1e${String(i - 8)}`));

// One set of families per registry: a second factory for the same registry reuses them
// instead of failing on a duplicate registration.
const familiesByRegistry = new WeakMap<Registry, Families>();

function families(registry: Registry): Families {
  const known = familiesByRegistry.get(registry);
  if (known) return known;
  const labelNames: Labels[] = ['name', 'controller'];
  const registers = [registry];
  const created: Families = {
    depth: new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue',
      labelNames,
      registers,
    }),
    adds: new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames,
      registers,
    }),
    latency: new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      buckets: durationBuckets,
      labelNames,
      registers,
    }),
    workDuration: new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes.',
      buckets: durationBuckets,
      labelNames,
      registers,
    }),
    unfinished: new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help:
        "How many seconds of work has been done that is in progress and hasn't been observed " +
        'by work_duration. Large values indicate stuck threads. One can deduce the number of ' +
        'stuck threads by observing the rate at which this increases.',
      labelNames,
      registers,
    }),
    longestRunning: new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running.',
      labelNames,
      registers,
    }),
    retries: new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames,
      registers,
    }),
  };
  familiesByRegistry.set(registry, created);
  return created;
}

/**
 * Queue metrics with controller-runtime's names and labels (`name` and `controller` are both
 * the queue's name). Each queue name should belong to one live queue at a time: creating its
 * metrics resets the series' gauges, which is what a queue restarted under the same name
 * (after losing and regaining leadership, say) needs.
 */
export function createQueueMetricsFactory(registry: Registry): (name: string) => QueueMetrics {
  const f = families(registry);
  return (name) => {
    const labels = { name, controller: name };
    const depth = f.depth.labels(labels);
    const adds = f.adds.labels(labels);
    const latency = f.latency.labels(labels);
    const workDuration = f.workDuration.labels(labels);
    const unfinished = f.unfinished.labels(labels);
    const longestRunning = f.longestRunning.labels(labels);
    const retries = f.retries.labels(labels);
    // Series exist from the start, so rate() and absent() work before the first add.
    depth.set(0);
    unfinished.set(0);
    longestRunning.set(0);
    adds.inc(0);
    retries.inc(0);
    f.latency.zero(labels);
    f.workDuration.zero(labels);

    const addTimes = new Map<string, number>();
    const processingStartTimes = new Map<string, number>();
    const seconds = (from: number, to: number) => Math.max(0, to - from) / 1000;

    return {
      add(key, now) {
        adds.inc();
        depth.inc();
        if (!addTimes.has(key)) addTimes.set(key, now);
      },
      get(key, now) {
        depth.dec();
        processingStartTimes.set(key, now);
        const addedAt = addTimes.get(key);
        if (addedAt !== undefined) {
          latency.observe(seconds(addedAt, now));
          addTimes.delete(key);
        }
      },
      done(key, now) {
        const startedAt = processingStartTimes.get(key);
        if (startedAt !== undefined) {
          workDuration.observe(seconds(startedAt, now));
          processingStartTimes.delete(key);
        }
      },
      retry() {
        retries.inc();
      },
      updateUnfinishedWork(now) {
        let total = 0;
        let longest = 0;
        for (const startedAt of processingStartTimes.values()) {
          const age = seconds(startedAt, now);
          total += age;
          longest = Math.max(longest, age);
        }
        unfinished.set(total);
        longestRunning.set(longest);
      },
    };
  };
}
