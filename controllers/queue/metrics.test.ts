import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { FakeClock } from '../clock/index.ts';
import { createQueueMetricsFactory } from './metrics.ts';
import { WorkQueue } from './work-queue.ts';

/** The sample name of a histogram's series (`_bucket`, `_sum`, `_count`), which the typings omit. */
function sampleName(v: object): string | undefined {
  return 'metricName' in v && typeof v.metricName === 'string' ? v.metricName : undefined;
}

/** The value of one series, found by metric name (and for histograms, sample name). */
async function value(
  registry: Registry,
  metric: string,
  queue: string,
  sample = metric,
  le?: number,
): Promise<number | undefined> {
  const family = (await registry.getMetricsAsJSON()).find((m) => m.name === metric);
  const found = family?.values.find(
    (v) =>
      (sampleName(v) ?? metric) === sample &&
      v.labels.name === queue &&
      v.labels.controller === queue &&
      (le === undefined || v.labels.le === le),
  );
  return found?.value;
}

describe('queue metrics', () => {
  it('follow a scripted sequence of adds, gets, dones and retries', async () => {
    const clock = new FakeClock(0);
    const registry = new Registry();
    const queue = new WorkQueue({
      name: 'vpc',
      clock,
      metrics: createQueueMetricsFactory(registry)('vpc'),
    });
    const read = (metric: string, sample?: string, le?: number) =>
      value(registry, metric, 'vpc', sample, le);

    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(await read('workqueue_adds_total')).toBe(2);
    expect(await read('workqueue_depth')).toBe(2);

    await clock.advance(2000);
    expect(await queue.get()).toBe('a');
    expect(await read('workqueue_depth')).toBe(1);

    // The unfinished-work gauges follow the clock while a key is processed.
    await clock.advance(3000);
    expect(await read('workqueue_unfinished_work_seconds')).toBe(3);
    expect(await read('workqueue_longest_running_processor_seconds')).toBe(3);

    expect(await queue.get()).toBe('b');
    // Added while processed: counted as an add and as depth, as client-go does.
    queue.add('a');
    expect(await read('workqueue_adds_total')).toBe(3);
    expect(await read('workqueue_depth')).toBe(1);
    expect(queue.len()).toBe(0);

    await clock.advance(1000);
    expect(await read('workqueue_unfinished_work_seconds')).toBe(5);
    expect(await read('workqueue_longest_running_processor_seconds')).toBe(4);

    queue.done('a');
    expect(await read('workqueue_unfinished_work_seconds')).toBe(1);
    expect(await read('workqueue_longest_running_processor_seconds')).toBe(1);
    expect(await queue.get()).toBe('a');
    expect(await read('workqueue_depth')).toBe(0);
    queue.done('a');
    queue.done('b');
    expect(await read('workqueue_unfinished_work_seconds')).toBe(0);
    expect(await read('workqueue_longest_running_processor_seconds')).toBe(0);

    const latency = 'workqueue_queue_duration_seconds';
    expect(await read(latency, `${latency}_count`)).toBe(3);
    expect(await read(latency, `${latency}_sum`)).toBe(2 + 5 + 1);
    expect(await read(latency, `${latency}_bucket`, 1)).toBe(1);
    expect(await read(latency, `${latency}_bucket`, 10)).toBe(3);
    const work = 'workqueue_work_duration_seconds';
    expect(await read(work, `${work}_count`)).toBe(3);
    expect(await read(work, `${work}_sum`)).toBe(4 + 0 + 1);
    expect(await read(work, `${work}_bucket`, 1e-8)).toBe(1);
    expect(await read(work, `${work}_bucket`, 1)).toBe(2);

    expect(await read('workqueue_retries_total')).toBe(0);
    queue.addAfter('c', 10);
    queue.addRateLimited('c');
    expect(await read('workqueue_retries_total')).toBe(2);
    expect(await read('workqueue_adds_total')).toBe(3);
    await clock.advance(10);
    expect(await read('workqueue_adds_total')).toBe(4);
    expect(await read('workqueue_depth')).toBe(1);
    queue.shutDown();
    expect(clock.pending()).toBe(0);
  });

  it('lets many queues share one registry, labelling each series by queue name', async () => {
    const registry = new Registry();
    const metricsFor = createQueueMetricsFactory(registry);
    const clock = new FakeClock(0);
    const vpc = new WorkQueue({ name: 'vpc', clock, metrics: metricsFor('vpc') });
    const ecs = new WorkQueue({
      name: 'ecs',
      clock,
      metrics: createQueueMetricsFactory(registry)('ecs'),
    });
    vpc.add('a');
    ecs.add('a');
    ecs.add('b');

    const depth = (await registry.getSingleMetricAsString('workqueue_depth')).split('\n');
    expect(depth).toContain('workqueue_depth{name="vpc",controller="vpc"} 1');
    expect(depth).toContain('workqueue_depth{name="ecs",controller="ecs"} 2');
    expect(depth).toContain('# TYPE workqueue_depth gauge');
    const text = await registry.metrics();
    for (const [name, type] of [
      ['workqueue_adds_total', 'counter'],
      ['workqueue_queue_duration_seconds', 'histogram'],
      ['workqueue_work_duration_seconds', 'histogram'],
      ['workqueue_unfinished_work_seconds', 'gauge'],
      ['workqueue_longest_running_processor_seconds', 'gauge'],
      ['workqueue_retries_total', 'counter'],
    ]) {
      expect(text).toContain(`# TYPE ${String(name)} ${String(type)}\n`);
    }
    expect(text).toContain('workqueue_retries_total{name="ecs",controller="ecs"} 0\n');
  });

  it('buckets durations by decades from 10 ns to 1000 s', async () => {
    const registry = new Registry();
    createQueueMetricsFactory(registry)('q');
    const family = (await registry.getMetricsAsJSON()).find(
      (m) => m.name === 'workqueue_work_duration_seconds',
    );
    const bounds = family?.values
      .filter((v) => sampleName(v) === 'workqueue_work_duration_seconds_bucket')
      .map((v) => v.labels.le);
    expect(bounds).toEqual([
      1e-8,
      1e-7,
      1e-6,
      1e-5,
      1e-4,
      1e-3,
      1e-2,
      1e-1,
      1,
      10,
      100,
      1000,
      '+Inf',
    ]);
  });
});
