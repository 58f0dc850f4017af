import { randomBytes } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import { realClock, type Clock, type Timer } from '../clock/index.ts';
import { errorMessage, isApiError, isNotFound } from '../kube/api-error.ts';
import { microTime } from '../kube/time.ts';
import type { Logger } from '../logging/logger.ts';
import type { EventSeries, EventsClient, KubeEvent, ObjectReference } from './events-client.ts';

export type EventType = 'Normal' | 'Warning';

/** The object an event is about (or, as `related`, a second object it involves). */
export interface EventObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export interface EventRecorderOptions {
  client: EventsClient;
  /** Who reports, e.g. `kcloud.io/vpc-controller`. */
  reportingController: string;
  /** Which replica reports: the pod or host name. */
  reportingInstance: string;
  log: Logger;
  clock?: Clock;
  /** Where `kcloud_events_dropped_total` is registered; without one it is kept unregistered. */
  registry?: Registry;
  /**
   * Applied to every note before it is kept or sent. It is a safety net, not a licence: callers
   * must never put secrets (passwords, tokens, keys, connection strings) in a note, because
   * Events are readable by anyone who may read the namespace.
   */
  redact?: (note: string) => string;
}

// The limits client-go's recorders use, so kcloud's events behave like the rest of the cluster.
const aggregationWindowMs = 6 * 60_000;
const seriesWriteIntervalMs = 30_000;
const spamBurst = 25;
const spamRefillMs = 5 * 60_000;
const maxQueuedWrites = 1000;
const maxTracked = 4096;
const sweepIntervalMs = 60_000;
// The API server's own limits (events.k8s.io validation).
const noteMaxBytes = 1024;
const truncatedSuffix = ' ...';
const nameMaxLength = 253;
const droppedMetric = 'kcloud_events_dropped_total';

/** What every write of one event carries; the name and series vary. */
type EventBody = Omit<KubeEvent, 'metadata' | 'series'>;

type DropReason = 'spam' | 'queue_full' | 'write_failed' | 'redact_failed';

/** One distinct event and how much of its series the API server has seen. */
interface Series {
  readonly key: string;
  readonly namespace: string;
  readonly body: EventBody;
  /** The Event's name once created; a new one on every create attempt. */
  name: string;
  count: number;
  lastObserved: number;
  /** The count the API server holds; 0 until the Event exists. */
  written: number;
  lastWriteAt: number;
  timer: Timer | undefined;
  queued: boolean;
  /** Its create failed: it is no longer tracked and must not be written. */
  abandoned: boolean;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Records events.k8s.io/v1 Events the way client-go does, so that a controller stuck in a hot
 * loop cannot flood the API server:
 * - an event identical to one seen within 6 minutes becomes a series on the existing Event,
 *   and the series is written at most once per 30 s per Event;
 * - each object may produce 25 distinct events in a burst, then one more per 5 minutes;
 * - writes are queued and sent in the background; `event()` never throws and never waits.
 */
export class EventRecorder {
  private readonly client: EventsClient;
  private readonly reportingController: string;
  private readonly reportingInstance: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly redact: (note: string) => string;
  private readonly dropped: Counter<'reason'>;
  /** In least-recently-observed order, so the first entry is the one to evict. */
  private readonly series = new Map<string, Series>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly queue: Series[] = [];
  private draining: Promise<void> | undefined;
  private lastSweep: number;

  constructor(options: EventRecorderOptions) {
    this.client = options.client;
    this.reportingController = options.reportingController;
    this.reportingInstance = options.reportingInstance;
    this.log = options.log;
    this.clock = options.clock ?? realClock;
    this.redact = options.redact ?? ((note) => note);
    this.dropped = droppedCounter(options.registry);
    this.lastSweep = this.clock.now();
  }

  /**
   * Records that `action` happened to `regarding` because of `reason` (CamelCase). The note is
   * for humans, is truncated to 1 KiB, and must not carry secrets.
   */
  event(
    regarding: EventObject,
    type: EventType,
    reason: string,
    action: string,
    note: string,
    related?: EventObject,
  ): void {
    try {
      this.record(regarding, type, reason, action, note, related);
    } catch (err) {
      this.log.error('recording an event failed', {
        ...describe(regarding, reason),
        error: errorMessage(err),
      });
    }
  }

  /** Writes every pending series update now and waits until all queued writes are done. */
  async flush(): Promise<void> {
    for (const s of this.series.values()) {
      s.timer?.cancel();
      s.timer = undefined;
      if (s.count > s.written && !s.queued) this.enqueue(s);
    }
    while (this.draining) await this.draining;
  }

  private record(
    regarding: EventObject,
    type: EventType,
    reason: string,
    action: string,
    rawNote: string,
    related: EventObject | undefined,
  ): void {
    let note: string;
    try {
      note = truncateNote(this.redact(rawNote));
    } catch (err) {
      // Sending the note unredacted is never the fallback.
      this.drop('redact_failed', regarding, reason, { error: errorMessage(err) });
      return;
    }
    const now = this.clock.now();
    this.sweep(now);
    const objectKey = keyOf(regarding);
    // reportingController is fixed per recorder, so it is part of every key implicitly.
    const key = JSON.stringify([objectKey, type, reason, action, note, related && keyOf(related)]);

    const seen = this.series.get(key);
    if (seen && now - seen.lastObserved < aggregationWindowMs) {
      seen.count++;
      seen.lastObserved = now;
      this.series.delete(key);
      this.series.set(key, seen);
      this.scheduleWrite(seen, now);
      return;
    }
    if (seen) this.retire(key, seen);

    if (!this.allow(objectKey, now)) {
      this.drop('spam', regarding, reason);
      return;
    }
    const namespace = regarding.metadata.namespace ?? 'default';
    const s: Series = {
      key,
      namespace,
      body: {
        eventTime: microTime(now),
        regarding: reference(regarding),
        related: related && reference(related),
        type,
        reason,
        action,
        note,
        reportingController: this.reportingController,
        reportingInstance: this.reportingInstance,
      },
      name: '',
      count: 1,
      lastObserved: now,
      written: 0,
      lastWriteAt: now,
      timer: undefined,
      queued: false,
      abandoned: false,
    };
    this.series.set(key, s);
    if (!this.enqueue(s)) {
      this.series.delete(key);
      this.drop('queue_full', regarding, reason);
      return;
    }
    const oldest = this.series.entries().next().value;
    if (this.series.size > maxTracked && oldest) this.retire(oldest[0], oldest[1]);
  }

  /** A token bucket per object; tokens are fractional so refills need no timer. */
  private allow(objectKey: string, now: number): boolean {
    const b = this.buckets.get(objectKey);
    const tokens = b ? Math.min(spamBurst, b.tokens + (now - b.at) / spamRefillMs) : spamBurst;
    const allowed = tokens >= 1;
    this.buckets.delete(objectKey);
    this.buckets.set(objectKey, { tokens: allowed ? tokens - 1 : tokens, at: now });
    const oldest = this.buckets.keys().next().value;
    if (this.buckets.size > maxTracked && oldest !== undefined) this.buckets.delete(oldest);
    return allowed;
  }

  /** Forgets series past their window and buckets that have refilled completely. */
  private sweep(now: number): void {
    if (now - this.lastSweep < sweepIntervalMs) return;
    this.lastSweep = now;
    for (const [key, s] of this.series) {
      if (now - s.lastObserved >= aggregationWindowMs && !s.timer && !s.queued) {
        this.series.delete(key);
      }
    }
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) / spamRefillMs >= spamBurst) this.buckets.delete(key);
    }
  }

  /** Stops tracking a series, sending its last count now if one is still pending. */
  private retire(key: string, s: Series): void {
    this.series.delete(key);
    if (s.timer) {
      s.timer.cancel();
      s.timer = undefined;
      this.enqueue(s);
    }
  }

  private scheduleWrite(s: Series, now: number): void {
    if (s.queued || s.timer) return;
    const wait = s.lastWriteAt + seriesWriteIntervalMs - now;
    if (wait <= 0) {
      this.enqueue(s);
      return;
    }
    s.timer = this.clock.setTimer(() => {
      s.timer = undefined;
      this.enqueue(s);
    }, wait);
  }

  /**
   * False when the queue is full. A series update that finds it full is not lost: the next
   * occurrence or `flush()` queues it again.
   */
  private enqueue(s: Series): boolean {
    if (this.queue.length >= maxQueuedWrites) return false;
    s.queued = true;
    this.queue.push(s);
    this.draining ??= this.drain();
    return true;
  }

  /** One write at a time, in order, so a series update never overtakes its create. */
  private async drain(): Promise<void> {
    // Start after the caller's synchronous work: recording must not run inside a reconcile.
    await Promise.resolve();
    for (let s = this.queue.shift(); s; s = this.queue.shift()) {
      // write() handles API errors itself; this keeps anything else from stopping the queue.
      await this.write(s).catch((err: unknown) => {
        this.log.error('writing an event failed', { error: errorMessage(err) });
      });
    }
    this.draining = undefined;
  }

  private async write(s: Series): Promise<void> {
    s.queued = false;
    const count = s.count;
    if (count === s.written || s.abandoned) return;
    s.lastWriteAt = this.clock.now();
    const series: EventSeries | undefined =
      count > 1 ? { count, lastObservedTime: microTime(s.lastObserved) } : undefined;
    const creating = s.written === 0 || !series;
    try {
      if (creating) {
        await this.create(s, series);
      } else {
        try {
          await this.client.patch(s.namespace, s.name, series);
        } catch (err) {
          if (!isNotFound(err)) throw err;
          // Expired (the API server keeps Events for an hour by default) or deleted: start over.
          await this.create(s, series);
        }
      }
      s.written = count;
    } catch (err) {
      this.log.warn('writing an event failed', {
        ...describe(s.body.regarding, s.body.reason),
        event: `${s.namespace}/${s.name}`,
        count,
        code: isApiError(err) ? err.status : undefined,
        error: errorMessage(err),
      });
      if (creating) {
        // Nothing exists to update: forget it, so the next occurrence is a new event again.
        s.abandoned = true;
        s.timer?.cancel();
        s.timer = undefined;
        if (this.series.get(s.key) === s) this.series.delete(s.key);
        this.dropped.inc({ reason: 'write_failed' });
      }
      return;
    }
    if (s.count > s.written) this.scheduleWrite(s, this.clock.now());
  }

  private async create(s: Series, series: EventSeries | undefined): Promise<void> {
    // A fresh name each attempt: an earlier attempt may have succeeded without our knowing.
    s.name = eventName(s.body.regarding?.name ?? 'unknown');
    await this.client.create(s.namespace, {
      ...s.body,
      metadata: { name: s.name, namespace: s.namespace },
      series,
    });
  }

  private drop(
    reason: DropReason,
    regarding: EventObject | ObjectReference | undefined,
    eventReason: string | undefined,
    fields: Record<string, unknown> = {},
  ): void {
    this.dropped.inc({ reason });
    // Debug: a hot loop that is being throttled would otherwise flood the log instead.
    this.log.debug('event dropped', {
      ...describe(regarding, eventReason),
      dropReason: reason,
      ...fields,
    });
  }
}

function droppedCounter(registry: Registry | undefined): Counter<'reason'> {
  // Every controller in a process has its own recorder and they share one registry.
  const existing = registry?.getSingleMetric(droppedMetric);
  if (existing instanceof Counter) return existing;
  return new Counter({
    name: droppedMetric,
    help: 'Events not written to the API server, by why: spam, queue_full, write_failed, redact_failed.',
    labelNames: ['reason'],
    registers: registry ? [registry] : [],
  });
}

function keyOf(o: EventObject): string {
  const m = o.metadata;
  return JSON.stringify([o.kind, m.namespace ?? '', m.name, m.uid ?? '']);
}

function reference(o: EventObject): ObjectReference {
  const m = o.metadata;
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: m.name,
    namespace: m.namespace,
    uid: m.uid,
    resourceVersion: m.resourceVersion,
  };
}

/** `<object name>.<16 hex digits>`, kept within the 253 characters a name may have. */
function eventName(objectName: string): string {
  const suffix = `.${randomBytes(8).toString('hex')}`;
  const prefix = objectName.slice(0, nameMaxLength - suffix.length).replace(/[.-]+$/, '');
  return prefix + suffix;
}

/** Cuts a note to the API server's 1024 bytes of UTF-8 without splitting a character. */
function truncateNote(note: string): string {
  const bytes = Buffer.from(note, 'utf8');
  if (bytes.length <= noteMaxBytes) return note;
  let end = noteMaxBytes - truncatedSuffix.length;
  // Back up over continuation bytes (10xxxxxx) to the start of the character cut in two.
  while (end > 0 && (bytes.readUInt8(end) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8') + truncatedSuffix;
}

function describe(
  o: EventObject | ObjectReference | undefined,
  reason: string | undefined,
): Record<string, unknown> {
  const m = o && ('metadata' in o ? o.metadata : o);
  return {
    regarding: `${o?.kind ?? ''} ${m?.namespace ? `${m.namespace}/` : ''}${m?.name ?? ''}`,
    reason,
  };
}
