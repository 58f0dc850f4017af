import { realClock, type Clock } from '../clock/index.ts';
import { errorMessage, isApiError } from '../kube/api-error.ts';
import { microTime, parseTime } from '../kube/time.ts';
import type { Logger } from '../logging/logger.ts';
import type { Lease, LeaseClient } from './lease-client.ts';
import type { LeaderMetrics } from './metrics.ts';

/** client-go's JitterFactor: a candidate waits between 1 and 2.2 retry periods between tries. */
export const jitterFactor = 1.2;

export interface LeaderElectorOptions {
  client: LeaseClient;
  namespace: string;
  /** The Lease's name; also the `name` label of the metric. */
  name: string;
  /** Unique per process (e.g. the pod name): the Lease's holderIdentity while this one leads. */
  identity: string;
  /**
   * How long a candidate waits, on its own clock, without seeing the lease change before it
   * takes over. Whole seconds, since the Lease stores seconds.
   */
  leaseDurationMs?: number;
  /** How long a leader keeps retrying a failing renewal before it gives up leading. */
  renewDeadlineMs?: number;
  /** The pause between tries, to acquire (with jitter) and to renew. */
  retryPeriodMs?: number;
  clock?: Clock;
  log: Logger;
  /**
   * On a clean stop, hand the lease over at once instead of letting it expire. Only safe when
   * the work guarded by the lease has finished: the elector waits for the promise that
   * `onStartedLeading` returned before it releases.
   */
  releaseOnCancel?: boolean;
  metrics?: LeaderMetrics;
  /** Source of the retry jitter, in [0, 1). */
  random?: () => number;
  /**
   * Called once this elector leads. `signal` aborts when leadership is lost or the elector
   * stops; the work it guards must stop then.
   */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called once after leading ends, whether lost or stopped (after the release, if any). */
  onStoppedLeading?: () => void;
  /** Called with each new holder this elector observes, itself included. */
  onNewLeader?: (identity: string) => void;
}

/** The part of a Lease that election reads and writes; times in epoch milliseconds. */
interface LeaseRecord {
  holder: string;
  durationSeconds: number;
  transitions: number;
  acquireMs: number | undefined;
  renewMs: number | undefined;
}

type RenewOutcome = 'renewed' | 'lost' | 'stopped';

/**
 * Leader election on a coordination.k8s.io/v1 Lease with client-go's semantics.
 *
 * Candidates never compare the Lease's timestamps with their own clock (clocks of different
 * machines disagree): a candidate remembers when, on its local clock, it last saw the lease
 * record change, and treats the lease as expired only after leaseDuration has passed since
 * then without a change. Every write carries the resourceVersion it was based on, so when two
 * candidates race for a free lease the API server lets exactly one of them win.
 *
 * Like client-go this is not fencing: a leader cut off from the API server keeps believing it
 * leads until its renewDeadline passes, which is why leaseDuration must exceed renewDeadline.
 */
export class LeaderElector {
  private readonly client: LeaseClient;
  private readonly namespace: string;
  private readonly name: string;
  private readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly releaseOnCancel: boolean;
  private readonly metrics: LeaderMetrics | undefined;
  private readonly random: () => number;
  private readonly callbacks: Pick<
    LeaderElectorOptions,
    'onStartedLeading' | 'onStoppedLeading' | 'onNewLeader'
  >;

  /** The last lease read or written, and when (local clock) its record last changed. */
  private observed: { lease: Lease; record: LeaseRecord } | undefined;
  private observedAt = 0;
  private reportedLeader = '';
  private leading = false;
  private running = false;

  constructor(options: LeaderElectorOptions) {
    this.client = options.client;
    this.namespace = options.namespace;
    this.name = options.name;
    this.identity = options.identity;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.clock = options.clock ?? realClock;
    this.releaseOnCancel = options.releaseOnCancel ?? true;
    this.metrics = options.metrics;
    this.random = options.random ?? Math.random;
    this.callbacks = options;
    validate(this.identity, this.leaseDurationMs, this.renewDeadlineMs, this.retryPeriodMs);
    this.log = options.log.child({
      lease: `${this.namespace}/${this.name}`,
      identity: this.identity,
    });
    this.metrics?.setLeading(this.name, false);
  }

  /** True from the moment this elector acquires the lease until it stops leading. */
  isLeader(): boolean {
    return this.leading;
  }

  /** The holder of the lease as last observed, or undefined when nobody holds it. */
  leader(): string | undefined {
    const holder = this.observed?.record.holder;
    return holder === '' ? undefined : holder;
  }

  /**
   * Tries to acquire the lease every retryPeriod (jittered) until it leads, then renews it
   * every retryPeriod. Resolves when `signal` aborts (after releasing the lease when
   * `releaseOnCancel`) or when leadership is lost because renewals kept failing for
   * renewDeadline or another candidate took the lease over.
   *
   * A process should exit once `run` resolves after leading, rather than campaign again: its
   * controllers were told to stop through the leading signal but may not have drained, and a
   * fresh process starts from a clean state.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.running) throw new Error(`leader elector for ${this.name} is already running`);
    this.running = true;
    try {
      if (!(await this.acquire(signal))) return;
      if (signal.aborted) {
        // Won the lease just as it was told to stop: nothing started, so hand it back.
        if (this.releaseOnCancel) await this.release();
        return;
      }
      await this.lead(signal);
    } finally {
      this.running = false;
    }
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    this.log.info('attempting to acquire leader lease');
    for (;;) {
      if (signal.aborted) return false;
      const acquired = await this.attempt(this.renewDeadlineMs);
      this.reportTransition();
      if (acquired) return true;
      const pause = this.retryPeriodMs * (1 + this.random() * jitterFactor);
      try {
        await this.clock.sleep(pause, signal);
      } catch {
        return false;
      }
    }
  }

  private async lead(stop: AbortSignal): Promise<void> {
    const leading = new AbortController();
    this.leading = true;
    this.metrics?.setLeading(this.name, true);
    this.log.info('acquired leader lease, leading', {
      transitions: this.observed?.record.transitions,
    });
    const work = this.startLeading(leading.signal);

    const outcome = await this.renewUntilStopped(stop);

    this.leading = false;
    this.metrics?.setLeading(this.name, false);
    if (outcome === 'lost') {
      this.log.error('lost leader lease', {
        leader: this.leader(),
        renewDeadlineMs: this.renewDeadlineMs,
      });
      leading.abort(new Error(`lost leader lease ${this.namespace}/${this.name}`));
    } else {
      this.log.info('leader election stopped, stepping down');
      leading.abort(new Error(`leader election for ${this.namespace}/${this.name} stopped`));
      await work;
      if (this.releaseOnCancel) await this.release();
    }
    this.notify('onStoppedLeading', () => this.callbacks.onStoppedLeading?.());
  }

  private async startLeading(signal: AbortSignal): Promise<void> {
    try {
      await this.callbacks.onStartedLeading(signal);
    } catch (err) {
      this.log.error('onStartedLeading failed', { error: errorMessage(err) });
    }
  }

  /**
   * Renews every retryPeriod, starting one retryPeriod after the acquiring write (which was a
   * renewal itself). After a loss the lease is left to expire rather than released: the work
   * it guarded may still be winding down.
   */
  private async renewUntilStopped(stop: AbortSignal): Promise<'lost' | 'stopped'> {
    for (;;) {
      try {
        await this.clock.sleep(this.retryPeriodMs, stop);
      } catch {
        return 'stopped';
      }
      const outcome = await this.renewRound(stop);
      if (outcome !== 'renewed') return outcome;
    }
  }

  /**
   * One renewal: tries at once, then every retryPeriod, until a try succeeds or renewDeadline
   * has passed since the first. An attempt already in flight when `stop` aborts is allowed to
   * finish (within the deadline), so the lease kept for the release is the latest one.
   */
  private async renewRound(stop: AbortSignal): Promise<RenewOutcome> {
    const deadline = this.clock.now() + this.renewDeadlineMs;
    for (;;) {
      if (stop.aborted) return 'stopped';
      const renewed = await this.attempt(deadline - this.clock.now());
      this.reportTransition();
      if (renewed) return 'renewed';
      // client-go would keep retrying until the deadline even after seeing another holder;
      // that holder already runs the controllers, so stepping down at once is the safe choice.
      if (this.observedHolderIsOther()) return 'lost';
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) return 'lost';
      this.log.warn('failed to renew leader lease, retrying', { remainingMs: remaining });
      try {
        await this.clock.sleep(Math.min(this.retryPeriodMs, remaining), stop);
      } catch {
        return 'stopped';
      }
      if (this.clock.now() >= deadline) return 'lost';
    }
  }

  /**
   * tryAcquireOrRenew bounded by `timeoutMs`: a request that hangs counts as a failed try, and
   * whatever it returns afterwards is ignored.
   */
  private attempt(timeoutMs: number): Promise<boolean> {
    return withDeadline(this.clock, timeoutMs, false, (expired) => this.tryAcquireOrRenew(expired));
  }

  private async tryAcquireOrRenew(expired: AbortSignal): Promise<boolean> {
    const now = this.clock.now();
    const durationSeconds = this.leaseDurationMs / 1000;

    // Fast path: a leader writes over the lease it last wrote, without reading it first.
    if (this.observed && this.observedHolderIsMe() && this.leaseValid(now)) {
      const { lease, record } = this.observed;
      try {
        const written = await this.client.update(
          this.withRecord(lease, { ...record, durationSeconds, renewMs: now }),
        );
        this.observe(written, expired);
        return true;
      } catch (err) {
        this.log.debug('optimistic lease renewal failed, reading the lease', {
          error: errorMessage(err),
        });
      }
    }

    let current: Lease | undefined;
    try {
      current = await this.client.get(this.namespace, this.name);
    } catch (err) {
      this.log.warn('could not read leader lease', { error: errorMessage(err) });
      return false;
    }

    const fresh: LeaseRecord = {
      holder: this.identity,
      durationSeconds,
      transitions: 0,
      acquireMs: now,
      renewMs: now,
    };
    if (!current) {
      try {
        this.observe(await this.client.create(this.newLease(fresh)), expired);
        return true;
      } catch (err) {
        this.logWriteFailure('could not create leader lease', err);
        return false;
      }
    }

    const record = recordOf(current);
    if (!this.observed || !sameRecord(this.observed.record, record)) {
      this.observe(current, expired);
    } else if (!expired.aborted) {
      // Same record, newer object (labels, annotations): keep its resourceVersion for the
      // write below but not a new observation time, or a stuck holder would never expire.
      this.observed = { lease: current, record };
    }
    if (record.holder !== '' && record.holder !== this.identity && this.leaseValid(now)) {
      return false;
    }

    const mine = record.holder === this.identity;
    const desired: LeaseRecord = mine
      ? { ...fresh, transitions: record.transitions, acquireMs: record.acquireMs }
      : { ...fresh, transitions: record.transitions + 1 };
    try {
      this.observe(await this.client.update(this.withRecord(current, desired)), expired);
      return true;
    } catch (err) {
      this.logWriteFailure(mine ? 'could not renew leader lease' : 'could not take over', err);
      return false;
    }
  }

  /** Hands the lease over: no holder and a one-second duration, as client-go's release. */
  private async release(): Promise<void> {
    if (!this.observed || !this.observedHolderIsMe()) return;
    const { lease, record } = this.observed;
    const now = this.clock.now();
    const released: LeaseRecord = {
      holder: '',
      durationSeconds: 1,
      transitions: record.transitions,
      acquireMs: now,
      renewMs: now,
    };
    const done = await withDeadline(this.clock, this.renewDeadlineMs, false, async (expired) => {
      try {
        this.observe(await this.client.update(this.withRecord(lease, released)), expired);
        return true;
      } catch (err) {
        this.log.error('could not release leader lease; it expires after leaseDuration', {
          error: errorMessage(err),
        });
        return false;
      }
    });
    if (done) this.log.info('released leader lease');
  }

  private observe(lease: Lease, expired: AbortSignal): void {
    if (expired.aborted) return;
    this.observed = { lease, record: recordOf(lease) };
    this.observedAt = this.clock.now();
  }

  private leaseValid(now: number): boolean {
    if (!this.observed) return false;
    return this.observedAt + this.observed.record.durationSeconds * 1000 > now;
  }

  private observedHolderIsMe(): boolean {
    return this.observed?.record.holder === this.identity;
  }

  private observedHolderIsOther(): boolean {
    const holder = this.observed?.record.holder ?? '';
    return holder !== '' && holder !== this.identity;
  }

  private reportTransition(): void {
    const holder = this.observed?.record.holder ?? '';
    if (holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    if (holder === '') {
      this.log.info('leader lease has no holder');
      return;
    }
    this.log.info('observed new leader', { leader: holder });
    this.notify('onNewLeader', () => this.callbacks.onNewLeader?.(holder));
  }

  private notify(callback: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error(`${callback} failed`, { error: errorMessage(err) });
    }
  }

  private logWriteFailure(message: string, err: unknown): void {
    // A conflict (or AlreadyExists) only means another candidate wrote first: the normal way
    // to lose a race.
    if (isApiError(err, 409)) this.log.debug(message, { error: errorMessage(err) });
    else this.log.warn(message, { error: errorMessage(err) });
  }

  private newLease(record: LeaseRecord): Lease {
    return this.withRecord(
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { namespace: this.namespace, name: this.name },
      },
      record,
    );
  }

  /** The lease with its spec replaced by `record`, keeping metadata (resourceVersion). */
  private withRecord(lease: Lease, record: LeaseRecord): Lease {
    return {
      apiVersion: lease.apiVersion,
      kind: lease.kind,
      metadata: lease.metadata,
      spec: {
        holderIdentity: record.holder,
        leaseDurationSeconds: record.durationSeconds,
        leaseTransitions: record.transitions,
        acquireTime: record.acquireMs === undefined ? undefined : microTime(record.acquireMs),
        renewTime: record.renewMs === undefined ? undefined : microTime(record.renewMs),
      },
    };
  }
}

function validate(
  identity: string,
  leaseDurationMs: number,
  renewDeadlineMs: number,
  retryPeriodMs: number,
): void {
  if (identity === '') throw new Error('leader election identity must not be empty');
  if (!Number.isInteger(leaseDurationMs / 1000) || leaseDurationMs <= 0) {
    throw new Error(`leaseDurationMs must be a positive whole number of seconds`);
  }
  if (retryPeriodMs <= 0) throw new Error('retryPeriodMs must be greater than zero');
  if (leaseDurationMs <= renewDeadlineMs) {
    throw new Error('leaseDurationMs must be greater than renewDeadlineMs');
  }
  if (renewDeadlineMs <= jitterFactor * retryPeriodMs) {
    throw new Error(`renewDeadlineMs must be greater than retryPeriodMs * ${jitterFactor}`);
  }
}

function recordOf(lease: Lease): LeaseRecord {
  const spec = lease.spec;
  return {
    holder: spec?.holderIdentity ?? '',
    durationSeconds: spec?.leaseDurationSeconds ?? 0,
    transitions: spec?.leaseTransitions ?? 0,
    acquireMs: parseTime(spec?.acquireTime),
    renewMs: parseTime(spec?.renewTime),
  };
}

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holder === b.holder &&
    a.durationSeconds === b.durationSeconds &&
    a.transitions === b.transitions &&
    a.acquireMs === b.acquireMs &&
    a.renewMs === b.renewMs
  );
}

/**
 * Runs `fn` but settles with `onTimeout` after `ms` if it has not finished; `fn` sees the
 * signal abort then, so it can drop results that arrive too late.
 */
async function withDeadline<T>(
  clock: Clock,
  ms: number,
  onTimeout: T,
  fn: (expired: AbortSignal) => Promise<T>,
): Promise<T> {
  const expired = new AbortController();
  let timer: { cancel(): void } | undefined;
  const timedOut = new Promise<T>((resolve) => {
    timer = clock.setTimer(() => {
      expired.abort();
      resolve(onTimeout);
    }, ms);
  });
  try {
    return await Promise.race([fn(expired.signal), timedOut]);
  } finally {
    timer?.cancel();
  }
}
