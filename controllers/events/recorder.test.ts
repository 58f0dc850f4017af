import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import winston from 'winston';
import { FakeClock, flushPromises } from '../clock/index.ts';
import { ApiError } from '../kube/api-error.ts';
import type { Logger } from '../logging/logger.ts';
import type { EventSeries, EventsClient, KubeEvent } from './events-client.ts';
import { EventRecorder, type EventObject, type EventRecorderOptions } from './recorder.ts';

interface Call {
  op: 'create' | 'patch';
  at: number;
  namespace: string;
  name: string;
  event?: KubeEvent;
  series?: EventSeries;
}

/** Keeps Events in memory like the API server would, and records every call. */
class FakeEventsClient implements EventsClient {
  readonly calls: Call[] = [];
  readonly stored = new Map<string, KubeEvent>();
  fail: Error | undefined;
  /** While set, creates wait for it. */
  gate: Promise<void> | undefined;
  private readonly clock: FakeClock;

  constructor(clock: FakeClock) {
    this.clock = clock;
  }

  async create(namespace: string, event: KubeEvent): Promise<KubeEvent> {
    const name = event.metadata.name ?? '';
    this.calls.push({ op: 'create', at: this.clock.now(), namespace, name, event });
    if (this.fail) throw this.fail;
    await this.gate;
    this.stored.set(`${namespace}/${name}`, event);
    return event;
  }

  patch(namespace: string, name: string, series: EventSeries): Promise<KubeEvent> {
    this.calls.push({ op: 'patch', at: this.clock.now(), namespace, name, series });
    if (this.fail) return Promise.reject(this.fail);
    const event = this.stored.get(`${namespace}/${name}`);
    if (!event) {
      return Promise.reject(
        new ApiError(404, { reason: 'NotFound', message: 'not found' }, 'events'),
      );
    }
    event.series = series;
    return Promise.resolve(event);
  }

  ops(op: Call['op']): Call[] {
    return this.calls.filter((c) => c.op === op);
  }

  only(): KubeEvent {
    const events = [...this.stored.values()];
    expect(events).toHaveLength(1);
    return events[0] as KubeEvent;
  }
}

type LogEntry = Record<string, unknown> & { level: string; message: string };

function capturingLogger(): { log: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const stream = new Writable({
    objectMode: true,
    write(chunk: LogEntry, _encoding, done) {
      entries.push(chunk);
      done();
    },
  });
  const log = winston.createLogger({
    level: 'debug',
    transports: [new winston.transports.Stream({ stream })],
  });
  return { log, entries };
}

function setup(options: Partial<EventRecorderOptions> = {}) {
  const clock = new FakeClock();
  const client = new FakeEventsClient(clock);
  const registry = new Registry();
  const { log, entries } = capturingLogger();
  const recorder = new EventRecorder({
    client,
    reportingController: 'kcloud.io/vpc-controller',
    reportingInstance: 'manager-0',
    clock,
    log,
    registry,
    ...options,
  });
  return { clock, client, registry, recorder, entries };
}

async function dropped(registry: Registry, reason: string): Promise<number> {
  const metric = registry.getSingleMetric('kcloud_events_dropped_total');
  if (!metric) throw new Error('kcloud_events_dropped_total is not registered');
  const data = await metric.get();
  return data.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

function subnet(name: string, uid = `uid-${name}`): EventObject {
  return {
    apiVersion: 'vpc.kcloud.io/v1alpha1',
    kind: 'Subnet',
    metadata: { name, namespace: 'tenant-a', uid, resourceVersion: '42' },
  };
}

const vpc: EventObject = {
  apiVersion: 'vpc.kcloud.io/v1alpha1',
  kind: 'VPC',
  metadata: { name: 'main', namespace: 'tenant-a', uid: 'uid-vpc' },
};

const minute = 60_000;

describe('EventRecorder', () => {
  it('creates one Event with every events.k8s.io/v1 field, after the caller returns', async () => {
    const { client, recorder } = setup();
    recorder.event(
      subnet('web'),
      'Normal',
      'Created',
      'CreateSwitch',
      'Created OVN switch web',
      vpc,
    );
    expect(client.calls).toHaveLength(0);
    await recorder.flush();

    expect(client.calls.map((c) => c.op)).toEqual(['create']);
    const call = client.calls[0] as Call;
    expect(call.namespace).toBe('tenant-a');
    expect(call.name).toMatch(/^web\.[0-9a-f]{16}$/);
    const event = call.event as KubeEvent;
    expect(event).toEqual({
      metadata: { name: call.name, namespace: 'tenant-a' },
      eventTime: expect.anything(),
      regarding: {
        apiVersion: 'vpc.kcloud.io/v1alpha1',
        kind: 'Subnet',
        name: 'web',
        namespace: 'tenant-a',
        uid: 'uid-web',
        resourceVersion: '42',
      },
      related: {
        apiVersion: 'vpc.kcloud.io/v1alpha1',
        kind: 'VPC',
        name: 'main',
        namespace: 'tenant-a',
        uid: 'uid-vpc',
      },
      type: 'Normal',
      reason: 'Created',
      action: 'CreateSwitch',
      note: 'Created OVN switch web',
      reportingController: 'kcloud.io/vpc-controller',
      reportingInstance: 'manager-0',
    });
    // MicroTime: the API server only parses six fractional digits.
    expect(JSON.stringify(event.eventTime)).toBe('"2026-01-01T00:00:00.000000Z"');
    expect(event.series).toBeUndefined();
  });

  it('gives every Event its own name', async () => {
    const { client, recorder, clock } = setup();
    recorder.event(subnet('web'), 'Normal', 'Created', 'Create', 'one');
    await recorder.flush();
    await clock.advance(7 * minute);
    recorder.event(subnet('web'), 'Normal', 'Created', 'Create', 'one');
    await recorder.flush();
    const names = client.ops('create').map((c) => c.name);
    expect(names).toHaveLength(2);
    expect(new Set(names).size).toBe(2);
  });

  it('puts events about cluster-scoped objects in the default namespace', async () => {
    const { client, recorder } = setup();
    const node: EventObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'host-1' } };
    recorder.event(node, 'Warning', 'BridgeMissing', 'Inspect', 'br-int not found');
    await recorder.flush();
    const call = client.calls[0] as Call;
    expect(call.namespace).toBe('default');
    expect(call.event?.metadata.namespace).toBe('default');
    expect(call.event?.regarding?.namespace).toBeUndefined();
  });

  it('turns the same event 100 times in a loop into one Event with a series of 100', async () => {
    const { client, recorder } = setup();
    for (let i = 0; i < 100; i++) {
      recorder.event(subnet('web'), 'Warning', 'SubnetNotFound', 'Reconcile', 'no subnet');
    }
    await recorder.flush();
    expect(client.ops('create')).toHaveLength(1);
    expect(client.ops('patch').length).toBeLessThanOrEqual(1);
    const event = client.only();
    expect(event.series?.count).toBe(100);
    expect(JSON.stringify(event.series?.lastObservedTime)).toBe('"2026-01-01T00:00:00.000000Z"');
  });

  it('creates first and coalesces the repeats that follow into one series update', async () => {
    const { client, recorder, clock } = setup();
    recorder.event(subnet('web'), 'Warning', 'SubnetNotFound', 'Reconcile', 'no subnet');
    await flushPromises();
    expect(client.ops('create')).toHaveLength(1);
    for (let i = 1; i < 100; i++) {
      await clock.advance(100);
      recorder.event(subnet('web'), 'Warning', 'SubnetNotFound', 'Reconcile', 'no subnet');
    }
    expect(client.ops('patch')).toHaveLength(0);
    await recorder.flush();
    expect(client.ops('create')).toHaveLength(1);
    expect(client.ops('patch')).toHaveLength(1);
    const patch = client.ops('patch')[0] as Call;
    expect(patch.name).toBe(client.ops('create')[0]?.name);
    expect(patch.series?.count).toBe(100);
    expect(JSON.stringify(patch.series?.lastObservedTime)).toBe('"2026-01-01T00:00:09.900000Z"');
    expect(client.only().series?.count).toBe(100);
  });

  it('writes a series at most once per 30 s and writes the final count when the window ends', async () => {
    const { client, recorder, clock } = setup();
    const start = clock.now();
    recorder.event(subnet('web'), 'Warning', 'SubnetNotFound', 'Reconcile', 'no subnet');
    for (let s = 1; s <= 90; s++) {
      await clock.advance(1000);
      recorder.event(subnet('web'), 'Warning', 'SubnetNotFound', 'Reconcile', 'no subnet');
    }
    await clock.advance(30_000);

    expect(client.calls.map((c) => [c.op, c.at - start, c.series?.count])).toEqual([
      ['create', 0, undefined],
      ['patch', 30_000, 30],
      ['patch', 60_000, 60],
      ['patch', 90_000, 90],
      ['patch', 120_000, 91],
    ]);
    expect(client.only().series?.count).toBe(91);
    expect(clock.pending()).toBe(0);
  });

  it('keeps events with different notes, reasons, types or objects apart', async () => {
    const { client, recorder } = setup();
    recorder.event(subnet('web'), 'Normal', 'Created', 'Create', 'note one');
    recorder.event(subnet('web'), 'Normal', 'Created', 'Create', 'note two');
    recorder.event(subnet('web'), 'Normal', 'Updated', 'Create', 'note one');
    recorder.event(subnet('web'), 'Warning', 'Created', 'Create', 'note one');
    recorder.event(subnet('db'), 'Normal', 'Created', 'Create', 'note one');
    recorder.event(
      subnet('web', 'uid-of-a-recreated-web'),
      'Normal',
      'Created',
      'Create',
      'note one',
    );
    recorder.event(subnet('web'), 'Normal', 'Created', 'Create', 'note two');
    await recorder.flush();
    expect(client.ops('create')).toHaveLength(6);
    const two = [...client.stored.values()].filter((e) => e.note === 'note two');
    expect(two).toHaveLength(1);
    expect(two[0]?.series?.count).toBe(2);
  });

  it('aggregates within 6 minutes of the last occurrence and starts a new Event after', async () => {
    const { client, recorder, clock } = setup();
    const again = () => {
      recorder.event(subnet('web'), 'Warning', 'SubnetNotFound', 'Reconcile', 'no subnet');
    };
    again();
    await clock.advance(5 * minute);
    again();
    await clock.advance(5 * minute);
    again();
    await recorder.flush();
    expect(client.ops('create')).toHaveLength(1);
    expect(client.only().series?.count).toBe(3);

    await clock.advance(6 * minute);
    again();
    await recorder.flush();
    expect(client.ops('create')).toHaveLength(2);
    expect(client.ops('create')[1]?.event?.series).toBeUndefined();
  });

  it('lets one object burst 25 distinct events, then one per 5 minutes', async () => {
    const { client, recorder, clock, registry } = setup();
    for (let i = 0; i < 30; i++) {
      recorder.event(subnet('web'), 'Warning', 'SyncFailed', 'Reconcile', `attempt ${i}`);
    }
    await recorder.flush();
    expect(client.ops('create')).toHaveLength(25);
    expect(await dropped(registry, 'spam')).toBe(5);

    // Other objects have their own budget, and repeats of an existing Event cost nothing.
    recorder.event(subnet('db'), 'Warning', 'SyncFailed', 'Reconcile', 'attempt 0');
    recorder.event(subnet('web'), 'Warning', 'SyncFailed', 'Reconcile', 'attempt 0');
    await recorder.flush();
    expect(client.ops('create')).toHaveLength(26);
    expect(await dropped(registry, 'spam')).toBe(5);

    await clock.advance(5 * minute);
    recorder.event(subnet('web'), 'Warning', 'SyncFailed', 'Reconcile', 'attempt 100');
    recorder.event(subnet('web'), 'Warning', 'SyncFailed', 'Reconcile', 'attempt 101');
    await recorder.flush();
    expect(client.ops('create')).toHaveLength(27);
    expect(await dropped(registry, 'spam')).toBe(6);

    await clock.advance(15 * minute);
    for (let i = 200; i < 204; i++) {
      recorder.event(subnet('web'), 'Warning', 'SyncFailed', 'Reconcile', `attempt ${i}`);
    }
    await recorder.flush();
    expect(client.ops('create')).toHaveLength(30);
    expect(await dropped(registry, 'spam')).toBe(7);
    expect(client.ops('create').map((c) => c.event?.note)).not.toContain('attempt 203');
  });

  it('never throws into the caller when writes fail, and logs them', async () => {
    const { client, recorder, entries, registry } = setup();
    client.fail = new Error('connect ECONNREFUSED 127.0.0.1:6443');
    expect(() => {
      recorder.event(subnet('web'), 'Warning', 'SubnetNotFound', 'Reconcile', 'no subnet');
    }).not.toThrow();
    await recorder.flush();
    await flushPromises();

    expect(client.ops('create')).toHaveLength(1);
    expect(await dropped(registry, 'write_failed')).toBe(1);
    const warning = entries.find((e) => e.message === 'writing an event failed');
    expect(warning).toMatchObject({
      level: 'warn',
      regarding: 'Subnet tenant-a/web',
      reason: 'SubnetNotFound',
      error: 'connect ECONNREFUSED 127.0.0.1:6443',
    });

    // The lost event is not remembered: once the API server answers it is created afresh.
    client.fail = undefined;
    recorder.event(subnet('web'), 'Warning', 'SubnetNotFound', 'Reconcile', 'no subnet');
    await recorder.flush();
    expect(client.ops('create')).toHaveLength(2);
    expect(client.only().series).toBeUndefined();
  });

  it('keeps counting when a series update fails and writes the count later', async () => {
    const { client, recorder, entries, registry } = setup();
    recorder.event(subnet('web'), 'Warning', 'SubnetNotFound', 'Reconcile', 'no subnet');
    await recorder.flush();
    client.fail = new ApiError(
      500,
      { kind: 'Status', code: 500, message: 'etcdserver: request timed out' },
      'POST events',
    );
    recorder.event(subnet('web'), 'Warning', 'SubnetNotFound', 'Reconcile', 'no subnet');
    await recorder.flush();
    await flushPromises();
    const warnings = entries.filter((e) => e.message === 'writing an event failed');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      count: 2,
      code: 500,
      error: 'etcdserver: request timed out',
    });
    expect(await dropped(registry, 'write_failed')).toBe(0);

    client.fail = undefined;
    recorder.event(subnet('web'), 'Warning', 'SubnetNotFound', 'Reconcile', 'no subnet');
    await recorder.flush();
    expect(client.ops('create')).toHaveLength(1);
    expect(client.only().series?.count).toBe(3);
  });

  it('creates the Event again when the one it updates is gone', async () => {
    const { client, recorder } = setup();
    recorder.event(subnet('web'), 'Warning', 'SubnetNotFound', 'Reconcile', 'no subnet');
    await recorder.flush();
    client.stored.clear();
    recorder.event(subnet('web'), 'Warning', 'SubnetNotFound', 'Reconcile', 'no subnet');
    await recorder.flush();

    expect(client.calls.map((c) => c.op)).toEqual(['create', 'patch', 'create']);
    const [first, , second] = client.calls;
    expect(second?.name).not.toBe(first?.name);
    expect(second?.event?.series?.count).toBe(2);
    expect(client.only().series?.count).toBe(2);
  });

  it('truncates notes to 1024 bytes of UTF-8 without splitting a character', async () => {
    const { client, recorder } = setup();
    recorder.event(subnet('web'), 'Normal', 'Long', 'Inspect', 'a'.repeat(5000));
    recorder.event(subnet('web'), 'Normal', 'Wide', 'Inspect', 'é'.repeat(1000));
    recorder.event(subnet('web'), 'Normal', 'Exact', 'Inspect', 'b'.repeat(1024));
    await recorder.flush();

    const notes = new Map(client.ops('create').map((c) => [c.event?.reason, c.event?.note ?? '']));
    expect(notes.get('Long')).toBe(`${'a'.repeat(1020)} ...`);
    const wide = notes.get('Wide') ?? '';
    expect(Buffer.byteLength(wide)).toBeLessThanOrEqual(1024);
    expect(wide).toBe(`${'é'.repeat(510)} ...`);
    expect(notes.get('Exact')).toBe('b'.repeat(1024));
  });

  it('applies the redact hook before anything is kept or sent', async () => {
    const { client, recorder, entries, registry } = setup({
      redact: (note) => {
        if (note.includes('explode')) throw new Error('bad pattern');
        return note.replace(/password=\S+/g, 'password=***');
      },
    });
    recorder.event(
      subnet('db'),
      'Warning',
      'ConnectFailed',
      'Connect',
      'dsn user=a password=s3cr3t',
    );
    recorder.event(subnet('db'), 'Warning', 'ConnectFailed', 'Connect', 'explode password=hunter2');
    await recorder.flush();
    await flushPromises();

    expect(client.ops('create').map((c) => c.event?.note)).toEqual(['dsn user=a password=***']);
    expect(await dropped(registry, 'redact_failed')).toBe(1);
    const logged = JSON.stringify(entries);
    expect(logged).toContain('bad pattern');
    expect(logged).not.toContain('hunter2');
    expect(logged).not.toContain('s3cr3t');
  });

  it('bounds the write queue and counts what it has to drop', async () => {
    const { client, recorder, registry } = setup();
    let release = () => {};
    client.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    for (let i = 0; i < 1003; i++) {
      recorder.event(subnet(`s-${i}`), 'Normal', 'Created', 'Create', 'created');
    }
    expect(await dropped(registry, 'queue_full')).toBe(3);
    release();
    await recorder.flush();
    expect(client.ops('create')).toHaveLength(1000);
    expect(client.stored.size).toBe(1000);
  });

  it('shares its counter with other recorders on the same registry', async () => {
    const { client, registry, clock } = setup();
    const { log } = capturingLogger();
    const other = new EventRecorder({
      client,
      reportingController: 'kcloud.io/ecs-controller',
      reportingInstance: 'manager-0',
      clock,
      log,
      registry,
    });
    for (let i = 0; i < 26; i++) other.event(vpc, 'Normal', 'Tick', 'Tick', `tick ${i}`);
    await other.flush();
    expect(await dropped(registry, 'spam')).toBe(1);
    expect(client.ops('create')[0]?.event?.reportingController).toBe('kcloud.io/ecs-controller');
  });
});
