import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import winston from 'winston';
import { FakeClock } from '../clock/index.ts';
import { ApiError } from '../kube/api-error.ts';
import { microTime, parseTime } from '../kube/time.ts';
import type { Logger } from '../logging/logger.ts';
import { LeaderElector, type LeaderElectorOptions } from './leader-elector.ts';
import type { Lease, LeaseClient } from './lease-client.ts';
import { createLeaderMetrics } from './metrics.ts';

const namespace = 'kcloud-system';
const leaseName = 'kcloud-manager';
const leaseDurationMs = 15_000;
const renewDeadlineMs = 10_000;
const retryPeriodMs = 2_000;

interface Op {
  actor: string;
  op: 'get' | 'create' | 'update';
  at: number;
  /** The resourceVersion read or written; undefined when the call failed. */
  resourceVersion: string | undefined;
}

function apiError(code: number, reason: string, message: string): ApiError {
  return new ApiError(code, { kind: 'Status', code, reason, message }, 'leases');
}

/** A copy through JSON, as on the wire. */
function copy(lease: Lease): Lease {
  return JSON.parse(JSON.stringify(lease)) as Lease;
}

/**
 * One Lease kept in memory with the API server's optimistic concurrency: an update must carry
 * the current resourceVersion or it gets 409 Conflict, and a second create gets 409
 * AlreadyExists. Each call sees the state at the moment it is made and answers a tick later,
 * so candidates started together read the same version and then race their writes.
 */
class FakeLeaseStore {
  lease: Lease | undefined;
  conflicts = 0;
  readonly ops: Op[] = [];
  private version = 0;
  private readonly clock: FakeClock;

  constructor(clock: FakeClock) {
    this.clock = clock;
  }

  /** A client for one candidate; `failing` and `hanging` break only that candidate's calls. */
  clientFor(actor: string): LeaseClient & { failing: boolean; hanging: boolean } {
    const call = async <T>(op: Op['op'], fn: () => T): Promise<T> => {
      if (client.hanging) return new Promise<T>(() => undefined);
      const record: Op = { actor, op, at: this.clock.now(), resourceVersion: undefined };
      this.ops.push(record);
      if (client.failing) {
        await Promise.resolve();
        throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
      }
      const result = fn();
      record.resourceVersion = this.lease?.metadata.resourceVersion;
      await Promise.resolve();
      return result;
    };
    const client = {
      failing: false,
      hanging: false,
      get: (ns: string, name: string) =>
        call('get', () => {
          expect([ns, name]).toEqual([namespace, leaseName]);
          return this.lease && copy(this.lease);
        }),
      create: (lease: Lease) => call('create', () => this.create(lease)),
      update: (lease: Lease) => call('update', () => this.update(lease)),
    };
    return client;
  }

  /** A write by someone who is not a candidate here (another replica, kubectl). */
  put(spec: NonNullable<Lease['spec']>, labels?: Record<string, string>): void {
    this.lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { namespace, name: leaseName, resourceVersion: String(++this.version), labels },
      spec,
    };
  }

  private create(lease: Lease): Lease {
    if (this.lease) {
      this.conflicts++;
      throw apiError(
        409,
        'AlreadyExists',
        `leases.coordination.k8s.io "${leaseName}" already exists`,
      );
    }
    expect(lease.metadata.resourceVersion).toBeUndefined();
    return this.store(lease);
  }

  private update(lease: Lease): Lease {
    const sent = lease.metadata.resourceVersion;
    if (sent === undefined) throw new Error('update without a resourceVersion');
    if (!this.lease)
      throw apiError(404, 'NotFound', `leases.coordination.k8s.io "${leaseName}" not found`);
    if (sent !== this.lease.metadata.resourceVersion) {
      this.conflicts++;
      throw apiError(409, 'Conflict', 'the object has been modified');
    }
    return this.store(lease);
  }

  private store(lease: Lease): Lease {
    const stored = copy(lease);
    stored.metadata.resourceVersion = String(++this.version);
    this.lease = stored;
    return copy(stored);
  }

  spec(): NonNullable<Lease['spec']> {
    const spec = this.lease?.spec;
    if (!spec) throw new Error('no lease');
    return spec;
  }

  /** Successful writes by `actor`, oldest first. */
  writes(actor: string): Op[] {
    return this.ops.filter(
      (o) => o.actor === actor && o.op !== 'get' && o.resourceVersion !== undefined,
    );
  }
}

function captureLogs(): { log: Logger; messages: () => string[] } {
  const lines: { message: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { message: string });
      done();
    },
  });
  const log = winston.createLogger({
    level: 'debug',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream })],
  });
  return { log, messages: () => lines.map((l) => l.message) };
}

interface Candidate {
  elector: LeaderElector;
  /** Callbacks in order: `leader:<id>`, `started`, `stopped`. */
  events: string[];
  startedAt: number | undefined;
  leading: AbortSignal | undefined;
  finished: boolean;
  stop(): Promise<void>;
  logs(): string[];
}

function candidate(
  store: FakeLeaseStore,
  clock: FakeClock,
  identity: string,
  options: Partial<LeaderElectorOptions> = {},
): Candidate {
  const { log, messages } = captureLogs();
  const stop = new AbortController();
  const c: Candidate = {
    elector: new LeaderElector({
      client: store.clientFor(identity),
      namespace,
      name: leaseName,
      identity,
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
      clock,
      log,
      random: () => 0,
      onStartedLeading: (signal) => {
        c.events.push('started');
        c.startedAt = clock.now();
        c.leading = signal;
      },
      onStoppedLeading: () => c.events.push('stopped'),
      onNewLeader: (id) => c.events.push(`leader:${id}`),
      ...options,
    }),
    events: [],
    startedAt: undefined,
    leading: undefined,
    finished: false,
    stop: async () => {
      stop.abort();
      await clock.advance(0);
      await done;
    },
    logs: messages,
  };
  const done = c.elector.run(stop.signal).then(() => {
    c.finished = true;
  });
  return c;
}

function setup(): { clock: FakeClock; store: FakeLeaseStore; t0: number } {
  const clock = new FakeClock();
  return { clock, store: new FakeLeaseStore(clock), t0: clock.now() };
}

const ms = (t: string | undefined) => parseTime(t);

describe('LeaderElector', () => {
  it('lets the first candidate create the lease and lead', async () => {
    const { clock, store, t0 } = setup();
    const a = candidate(store, clock, 'a');
    await clock.advance(0);

    expect(a.elector.isLeader()).toBe(true);
    expect(a.elector.leader()).toBe('a');
    expect(a.events).toEqual(['leader:a', 'started']);
    expect(a.leading?.aborted).toBe(false);
    const spec = store.spec();
    expect(spec.holderIdentity).toBe('a');
    expect(spec.leaseDurationSeconds).toBe(15);
    expect(spec.leaseTransitions).toBe(0);
    expect(ms(spec.acquireTime)).toBe(t0);
    expect(ms(spec.renewTime)).toBe(t0);
    // The six fraction digits the API server's MicroTime parser requires.
    expect(spec.acquireTime).toMatch(/\.\d{6}Z$/);
    expect(a.logs()).toEqual(
      expect.arrayContaining([
        'attempting to acquire leader lease',
        'observed new leader',
        'acquired leader lease, leading',
      ]),
    );
    await a.stop();
  });

  it('keeps a second candidate waiting while the leader renews', async () => {
    const { clock, store, t0 } = setup();
    const a = candidate(store, clock, 'a');
    const b = candidate(store, clock, 'b');
    await clock.advance(60_000);

    expect(a.elector.isLeader()).toBe(true);
    expect(b.elector.isLeader()).toBe(false);
    expect(b.elector.leader()).toBe('a');
    expect(b.events).toEqual(['leader:a']);
    expect(store.ops.filter((o) => o.actor === 'b' && o.op === 'get').length).toBeGreaterThan(10);
    expect(store.writes('b')).toEqual([]);
    // Renewals move renewTime and keep acquireTime and the transition count.
    const spec = store.spec();
    expect(spec.holderIdentity).toBe('a');
    expect(ms(spec.acquireTime)).toBe(t0);
    expect(ms(spec.renewTime)).toBe(t0 + 60_000);
    expect(spec.leaseTransitions).toBe(0);
    expect(store.writes('a').length).toBe(31);

    // Stopping a candidate that never led calls nothing and writes nothing.
    await b.stop();
    expect(b.finished).toBe(true);
    expect(b.events).toEqual(['leader:a']);
    expect(store.writes('b')).toEqual([]);
    await a.stop();
  });

  it('waits retryPeriod plus up to 1.2 jittered retryPeriods between tries', async () => {
    const { clock, store, t0 } = setup();
    const a = candidate(store, clock, 'a');
    const b = candidate(store, clock, 'b', { random: () => 0.5 });
    await clock.advance(10_000);
    const tries = store.ops.filter((o) => o.actor === 'b' && o.op === 'get').map((o) => o.at);
    expect(tries).toEqual([t0, t0 + 3_200, t0 + 6_400, t0 + 9_600]);
    await a.stop();
    await b.stop();
  });

  it('hands back a lease it won just as it was stopped, without starting to lead', async () => {
    const { clock, store } = setup();
    const a = candidate(store, clock, 'a');
    await a.stop(); // while the first read is still in flight
    expect(store.writes('a').map((w) => w.op)).toEqual(['create', 'update']);
    expect(store.spec().holderIdentity).toBe('');
    expect(a.events).toEqual(['leader:a']);
    expect(a.elector.isLeader()).toBe(false);
  });

  it('takes over a lease that stopped changing only after leaseDuration on its own clock', async () => {
    const { clock, store } = setup();
    const a = candidate(store, clock, 'a', { releaseOnCancel: false });
    const b = candidate(store, clock, 'b');
    await clock.advance(10_000);
    await a.stop(); // a crash, as far as the lease can tell: no release
    expect(a.events).toEqual(['leader:a', 'started', 'stopped']);
    expect(store.spec().holderIdentity).toBe('a');

    const lastVersion = store.lease?.metadata.resourceVersion;
    await clock.advance(retryPeriodMs); // b polls at least once more
    const seenAt = store.ops.find(
      (o) => o.actor === 'b' && o.op === 'get' && o.resourceVersion === lastVersion,
    )?.at;
    if (seenAt === undefined) throw new Error('b never read the last version');

    await clock.advance(seenAt + leaseDurationMs - 1 - clock.now());
    expect(b.elector.isLeader()).toBe(false);
    expect(store.writes('b')).toEqual([]);

    await clock.advance(2 * retryPeriodMs);
    expect(b.elector.isLeader()).toBe(true);
    expect(b.startedAt).toBeGreaterThanOrEqual(seenAt + leaseDurationMs);
    expect(b.startedAt).toBeLessThanOrEqual(seenAt + leaseDurationMs + retryPeriodMs);
    expect(b.events).toEqual(['leader:a', 'leader:b', 'started']);
    const spec = store.spec();
    expect(spec.holderIdentity).toBe('b');
    expect(spec.leaseTransitions).toBe(1);
    expect(ms(spec.acquireTime)).toBe(b.startedAt);
    await b.stop();
  });

  it.each([
    ['an hour behind', -3_600_000],
    ['an hour ahead', 3_600_000],
  ])('ignores a holder clock %s and waits leaseDuration from its first sight', async (_, skew) => {
    const { clock, store, t0 } = setup();
    const remote = microTime(t0 + skew);
    store.put({
      holderIdentity: 'remote',
      leaseDurationSeconds: 15,
      leaseTransitions: 4,
      acquireTime: remote,
      renewTime: remote,
    });
    const b = candidate(store, clock, 'b');
    await clock.advance(leaseDurationMs - 1);
    expect(b.elector.isLeader()).toBe(false);
    expect(b.elector.leader()).toBe('remote');

    await clock.advance(retryPeriodMs + 1);
    expect(b.elector.isLeader()).toBe(true);
    expect(b.startedAt).toBeGreaterThanOrEqual(t0 + leaseDurationMs);
    expect(store.spec().leaseTransitions).toBe(5);
    await b.stop();
  });

  it('measures expiry with the duration the lease states, not its own', async () => {
    const { clock, store, t0 } = setup();
    store.put({ holderIdentity: 'remote', leaseDurationSeconds: 40, leaseTransitions: 0 });
    const b = candidate(store, clock, 'b');
    await clock.advance(39_000);
    expect(b.elector.isLeader()).toBe(false);
    await clock.advance(retryPeriodMs);
    expect(b.elector.isLeader()).toBe(true);
    expect(b.startedAt).toBeGreaterThanOrEqual(t0 + 40_000);
    await b.stop();
  });

  it('loses leadership once renewals have failed for renewDeadline', async () => {
    const { clock, store } = setup();
    const registry = new Registry();
    const failing = store.clientFor('a');
    const a = candidate(store, clock, 'a', {
      client: failing,
      metrics: createLeaderMetrics(registry),
    });
    await clock.advance(4_000);
    failing.failing = true;
    const lastRenewal = store.writes('a').at(-1)?.at ?? Number.NaN;

    await clock.advance(lastRenewal + renewDeadlineMs - clock.now());
    expect(a.elector.isLeader()).toBe(true);
    expect(a.leading?.aborted).toBe(false);
    expect(a.events).toEqual(['leader:a', 'started']);
    expect(a.finished).toBe(false);

    await clock.advance(retryPeriodMs);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.leading?.aborted).toBe(true);
    expect(a.events).toEqual(['leader:a', 'started', 'stopped']);
    expect(a.finished).toBe(true);
    expect(a.logs()).toContain('failed to renew leader lease, retrying');
    expect(a.logs()).toContain('lost leader lease');
    expect(await gauge(registry)).toEqual([{ name: leaseName, value: 0 }]);

    // Done for good: no more calls, no second onStoppedLeading.
    const calls = store.ops.length;
    await clock.advance(60_000);
    expect(store.ops.length).toBe(calls);
    expect(a.events).toEqual(['leader:a', 'started', 'stopped']);
  });

  it('counts a request that hangs as a failed renewal', async () => {
    const { clock, store } = setup();
    const hanging = store.clientFor('a');
    const a = candidate(store, clock, 'a', { client: hanging });
    await clock.advance(4_000);
    hanging.hanging = true;

    await clock.advance(retryPeriodMs + renewDeadlineMs - 1);
    expect(a.elector.isLeader()).toBe(true);
    await clock.advance(1);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.leading?.aborted).toBe(true);
    expect(a.events).toEqual(['leader:a', 'started', 'stopped']);
    expect(a.finished).toBe(true);
    expect(clock.pending()).toBe(0);
  });

  it('steps down at once when it sees another holder in the lease', async () => {
    const { clock, store, t0 } = setup();
    const a = candidate(store, clock, 'a');
    await clock.advance(1_000);
    const now = microTime(clock.now());
    store.put({
      holderIdentity: 'usurper',
      leaseDurationSeconds: 15,
      leaseTransitions: 1,
      acquireTime: now,
      renewTime: now,
    });

    await clock.advance(1_000);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.leading?.aborted).toBe(true);
    expect(a.events).toEqual(['leader:a', 'started', 'leader:usurper', 'stopped']);
    expect(a.finished).toBe(true);
    expect(clock.now()).toBe(t0 + retryPeriodMs);
    expect(store.spec().holderIdentity).toBe('usurper');
  });

  it('renews through a conflict caused by an unrelated write to the lease', async () => {
    const { clock, store } = setup();
    const a = candidate(store, clock, 'a');
    await clock.advance(1_000);
    store.put(store.spec(), { touched: 'yes' });
    const conflicts = store.conflicts;

    await clock.advance(1_000);
    expect(store.conflicts).toBe(conflicts + 1);
    expect(a.elector.isLeader()).toBe(true);
    expect(ms(store.spec().renewTime)).toBe(clock.now());
    expect(store.lease?.metadata.labels).toEqual({ touched: 'yes' });
    await a.stop();
  });

  it('releases the lease on a clean stop so the next candidate takes over on its next try', async () => {
    const { clock, store } = setup();
    let holderWhenStopped: string | undefined;
    const a = candidate(store, clock, 'a', {
      onStoppedLeading: () => {
        holderWhenStopped = store.lease?.spec?.holderIdentity;
        a.events.push('stopped');
      },
    });
    const b = candidate(store, clock, 'b');
    await clock.advance(10_000);

    await a.stop();
    const stoppedAt = clock.now();
    expect(a.leading?.aborted).toBe(true);
    expect(a.events).toEqual(['leader:a', 'started', 'stopped']);
    expect(holderWhenStopped).toBe('');
    const released = store.spec();
    expect(released.holderIdentity).toBe('');
    expect(released.leaseDurationSeconds).toBe(1);
    expect(released.leaseTransitions).toBe(0);
    expect(a.logs()).toContain('released leader lease');

    await clock.advance(retryPeriodMs);
    expect(b.elector.isLeader()).toBe(true);
    expect(b.startedAt).toBeLessThanOrEqual(stoppedAt + retryPeriodMs);
    expect(b.events).toEqual(['leader:a', 'leader:b', 'started']);
    expect(store.spec().holderIdentity).toBe('b');
    expect(store.spec().leaseTransitions).toBe(1);
    expect(store.spec().leaseDurationSeconds).toBe(15);
    await b.stop();
  });

  it('waits for the work it guarded to finish before releasing', async () => {
    const { clock, store } = setup();
    let finishWork: (() => void) | undefined;
    const a = candidate(store, clock, 'a', {
      onStartedLeading: (signal) =>
        new Promise<void>((resolve) => {
          a.leading = signal;
          finishWork = resolve;
        }),
    });
    await clock.advance(0);
    const stopped = a.stop();
    await clock.advance(0);
    expect(a.leading?.aborted).toBe(true);
    expect(store.spec().holderIdentity).toBe('a');
    expect(a.finished).toBe(false);

    finishWork?.();
    await stopped;
    expect(store.spec().holderIdentity).toBe('');
    expect(a.events).toEqual(['leader:a', 'stopped']);
  });

  it.each([
    ['no lease yet (both create)', undefined],
    ['a released lease (both update)', ''],
  ])('leaves exactly one leader when two candidates race for %s', async (_, holder) => {
    const { clock, store } = setup();
    if (holder !== undefined) {
      store.put({ holderIdentity: holder, leaseDurationSeconds: 1, leaseTransitions: 3 });
    }
    const a = candidate(store, clock, 'a');
    const b = candidate(store, clock, 'b');
    await clock.advance(0);

    expect(store.conflicts).toBe(1);
    const leaders = [a, b].filter((c) => c.elector.isLeader());
    expect(leaders.length).toBe(1);
    const winner = leaders[0]?.elector.leader();
    expect(store.spec().holderIdentity).toBe(winner);
    expect(store.spec().leaseTransitions).toBe(holder === undefined ? 0 : 4);

    await clock.advance(30_000);
    expect([a, b].filter((c) => c.elector.isLeader()).length).toBe(1);
    expect([a.events.includes('started'), b.events.includes('started')].sort()).toEqual([
      false,
      true,
    ]);
    expect([a.elector.leader(), b.elector.leader()]).toEqual([winner, winner]);
    await a.stop();
    await b.stop();
  });

  it('sets leader_election_master_status to 1 only while leading', async () => {
    const { clock, store } = setup();
    const registry = new Registry();
    const metrics = createLeaderMetrics(registry);
    const a = candidate(store, clock, 'a', { metrics });
    // A second call on the same registry shares the gauge instead of failing.
    const b = candidate(store, clock, 'b', { metrics: createLeaderMetrics(registry) });
    expect(await gauge(registry)).toEqual([{ name: leaseName, value: 0 }]);

    await clock.advance(0);
    expect(await gauge(registry)).toEqual([{ name: leaseName, value: 1 }]);
    await a.stop();
    expect(await gauge(registry)).toEqual([{ name: leaseName, value: 0 }]);
    await clock.advance(retryPeriodMs);
    expect(b.elector.isLeader()).toBe(true);
    expect(await gauge(registry)).toEqual([{ name: leaseName, value: 1 }]);
    await b.stop();
    expect(await gauge(registry)).toEqual([{ name: leaseName, value: 0 }]);
  });

  it('refuses timings client-go refuses, and a second concurrent run', async () => {
    const { clock, store } = setup();
    const { log } = captureLogs();
    const base: LeaderElectorOptions = {
      client: store.clientFor('a'),
      namespace,
      name: leaseName,
      identity: 'a',
      clock,
      log,
      onStartedLeading: () => undefined,
    };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 10_000 })).toThrow(
      'leaseDurationMs must be greater than renewDeadlineMs',
    );
    expect(() => new LeaderElector({ ...base, retryPeriodMs: 9_000 })).toThrow(
      'renewDeadlineMs must be greater than retryPeriodMs * 1.2',
    );
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 15_500 })).toThrow(
      'leaseDurationMs must be a positive whole number of seconds',
    );
    expect(() => new LeaderElector({ ...base, identity: '' })).toThrow(
      'leader election identity must not be empty',
    );

    const elector = new LeaderElector(base);
    const stop = new AbortController();
    const running = elector.run(stop.signal);
    await expect(elector.run(stop.signal)).rejects.toThrow('already running');
    stop.abort();
    await clock.advance(0);
    await running;
  });
});

async function gauge(registry: Registry): Promise<{ name: unknown; value: number }[]> {
  const metric = registry.getSingleMetric('leader_election_master_status');
  if (!metric) throw new Error('gauge not registered');
  const { values } = await metric.get();
  return values.map((v) => ({ name: v.labels.name, value: v.value }));
}
