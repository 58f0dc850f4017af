import { realClock, type Clock } from '../clock/index.ts';
import {
  ApiError,
  isApiError,
  isGone,
  objectKey,
  type KubeObject,
  type ListOptions,
  type ObjectList,
  type Status,
  type WatchEvent,
  type WatchOptions,
} from '../kube/index.ts';
import type { Logger } from '../logging/logger.ts';
import { Backoff } from './backoff.ts';
import { Cache, type IndexFunc } from './cache.ts';

/** What an informer needs from a client: ObjectClient fits, and so do test fakes. */
export interface ListerWatcher<T extends KubeObject> {
  list(opts: ListOptions): Promise<ObjectList<T>>;
  watch(opts: WatchOptions): AsyncIterable<WatchEvent<T>>;
}

export interface EventHandler<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export type InitialList = 'paginated' | 'streaming';

export interface InformerOptions<T extends KubeObject> {
  name: string;
  client: ListerWatcher<T>;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Narrows what the selectors list, on this side, for a scope the server cannot be told: a
   * selector naming 5,000 hosts is too long for a request. An object it rejects (as the server
   * sent it, before `transform`) is neither cached nor handed to handlers; one that leaves the
   * scope in a watch event is gone, as if the server had filtered it out.
   */
  inScope?: (obj: T) => boolean;
  indexers?: Record<string, IndexFunc<T>>;
  /** Objects per list page, so 30,000 objects never arrive as one response. */
  pageSize?: number;
  /**
   * 'streaming' (default; measured faster on our API server, see docs/benchmarks.md): one
   * watch with sendInitialEvents=true that starts with the current state and ends it with a
   * bookmark. A server that cannot stream is detected and the informer falls back to
   * 'paginated': list (in pages) then watch from the list's resourceVersion.
   */
  initialList?: InitialList;
  /** The server ends each watch after this many seconds; we then resume from the last RV. */
  watchTimeoutSeconds?: () => number;
  /**
   * A watch that delivers neither an event nor a bookmark for this long is presumed dead (a
   * half-open connection) and restarted. The API server sends a bookmark about every minute.
   */
  silenceTimeoutMs?: number;
  /** Applied to every object before it is cached; by default drops managedFields to save memory. */
  transform?: (obj: T) => T;
  clock?: Clock;
  log: Logger;
  backoff?: Backoff;
}

export interface InformerStats {
  lists: number;
  listPages: number;
  watches: number;
  relists: number;
  restarts: number;
  events: number;
}

const initialEventsEnd = 'k8s.io/initial-events-end';

/** The server does not support streaming lists (older, or the WatchList feature is off). */
class StreamingListUnsupported extends Error {
  constructor(why: string) {
    super(`streaming initial list not supported by the server: ${why}`);
  }
}

class WatchSilent extends Error {
  constructor(ms: number) {
    super(`no watch event or bookmark for ${String(ms)} ms`);
  }
}

function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

function stripManagedFields<T extends KubeObject>(obj: T): T {
  if (obj.metadata.managedFields) delete obj.metadata.managedFields;
  return obj;
}

/**
 * Keeps a cache of one kind in step with the API server: list, then watch from the list's
 * resourceVersion with bookmarks. A 410 Gone relists; any other failure, or a watch that falls
 * silent, restarts the watch from the last resourceVersion after a backoff. It never stops
 * before its signal aborts.
 */
export class Informer<T extends KubeObject> {
  readonly cache: Cache<T>;
  readonly stats: InformerStats = {
    lists: 0,
    listPages: 0,
    watches: 0,
    relists: 0,
    restarts: 0,
    events: 0,
  };
  private readonly handlers: EventHandler<T>[] = [];
  private readonly opts: InformerOptions<T>;
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly transform: (obj: T) => T;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private resourceVersion = '';
  private initialList: InitialList;

  constructor(opts: InformerOptions<T>) {
    this.initialList = opts.initialList ?? 'streaming';
    this.opts = opts;
    this.cache = new Cache<T>(opts.indexers);
    this.clock = opts.clock ?? realClock;
    this.backoff = opts.backoff ?? new Backoff();
    this.transform = opts.transform ?? stripManagedFields;
  }

  get name(): string {
    return this.opts.name;
  }

  addHandler(handler: EventHandler<T>): void {
    this.handlers.push(handler);
    // A handler added late still hears about what is already cached.
    if (this.synced) for (const obj of this.cache.list()) this.dispatch('add', obj);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first full list is in the cache. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    // An 'abort' already fired does not fire again for a listener added now.
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  /** Runs until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const log = this.opts.log;
    let needList = true;
    while (!signal.aborted) {
      const started = this.clock.now();
      try {
        if (this.initialList === 'streaming' && needList) {
          await this.watch(signal, true);
        } else {
          if (needList) await this.listAll(signal);
          needList = false;
          await this.watch(signal, false);
        }
        needList = false;
        // The server closed the watch at its timeout: a normal end, resume from the last RV.
        if (this.clock.now() - started > 60_000) this.backoff.reset();
      } catch (err) {
        // The loop condition was checked before the awaits above; the signal may have fired since.
        if (isAborted(signal)) break;
        if (err instanceof StreamingListUnsupported) {
          this.initialList = 'paginated';
          log.info('falling back to paginated lists', { informer: this.name, reason: err.message });
          continue;
        }
        if (isGone(err)) {
          // Our resourceVersion is older than the server keeps: only a fresh list can tell
          // what changed meanwhile.
          this.stats.relists++;
          needList = true;
          log.info('resourceVersion expired, relisting', {
            informer: this.name,
            resourceVersion: this.resourceVersion,
          });
          continue;
        }
        this.stats.restarts++;
        const delay = this.backoff.next();
        log.warn('watch failed, retrying', {
          informer: this.name,
          error: err instanceof Error ? err.message : String(err),
          retryInMs: Math.round(delay),
        });
        try {
          await this.clock.sleep(delay, signal);
        } catch {
          break;
        }
      }
    }
  }

  private async listAll(signal: AbortSignal): Promise<void> {
    this.stats.lists++;
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.opts.client.list({
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        limit: this.opts.pageSize ?? 500,
        continue: cont,
        signal,
      });
      this.stats.listPages++;
      for (const item of page.items) if (this.inScope(item)) items.push(this.transform(item));
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion ?? rv;
    } while (cont);
    this.applyReplace(items, rv);
  }

  private inScope(obj: T): boolean {
    return this.opts.inScope?.(obj) ?? true;
  }

  private applyReplace(items: T[], rv: string): void {
    const diff = this.cache.replace(items);
    this.resourceVersion = rv;
    for (const o of diff.deleted) this.dispatch('delete', o);
    for (const [old, cur] of diff.updated) this.dispatch('update', cur, old);
    for (const o of diff.added) this.dispatch('add', o);
    this.markSynced();
  }

  private markSynced(): void {
    if (this.synced) return;
    this.synced = true;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) w();
  }

  private async watch(signal: AbortSignal, initial: boolean): Promise<void> {
    this.stats.watches++;
    const silenceMs = this.opts.silenceTimeoutMs ?? 150_000;
    const stream = new AbortController();
    const onAbort = () => {
      stream.abort(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    // The signal may have fired before the listener was added (e.g. right after the list).
    if (signal.aborted) stream.abort(signal.reason);
    const state = { silent: false };
    let timer = this.clock.setTimer(() => undefined, 0);
    const arm = () => {
      timer.cancel();
      timer = this.clock.setTimer(() => {
        state.silent = true;
        stream.abort(new WatchSilent(silenceMs));
      }, silenceMs);
    };
    arm();
    // During a streaming initial list, objects are collected here and swapped in at the end.
    const fresh: T[] | undefined = initial ? [] : undefined;
    try {
      const timeout = this.opts.watchTimeoutSeconds?.() ?? Math.floor(300 + Math.random() * 300);
      const events = this.opts.client.watch({
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        resourceVersion: initial ? '' : this.resourceVersion,
        ...(initial
          ? { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan' as const }
          : {}),
        allowWatchBookmarks: true,
        timeoutSeconds: timeout,
        signal: stream.signal,
      });
      for await (const ev of events) {
        arm();
        this.stats.events++;
        if (ev.type === 'ERROR') {
          const status = ev.object as unknown as Status;
          throw new ApiError(status.code ?? 500, status, `watch ${this.name}`);
        }
        if (
          fresh &&
          !this.synced &&
          ev.type === 'BOOKMARK' &&
          ev.object.metadata.annotations?.[initialEventsEnd] !== 'true'
        ) {
          // A server that ignored sendInitialEvents sends plain bookmarks and no end marker.
          throw new StreamingListUnsupported(
            'a bookmark arrived without the initial-events-end marker',
          );
        }
        const rv = ev.object.metadata.resourceVersion;
        if (ev.type === 'BOOKMARK') {
          if (rv) this.resourceVersion = rv;
          if (fresh && ev.object.metadata.annotations?.[initialEventsEnd] === 'true') {
            this.applyReplace(fresh.splice(0), this.resourceVersion);
          }
          continue;
        }
        if (fresh && !this.synced) {
          if (this.inScope(ev.object)) fresh.push(this.transform(ev.object));
        } else {
          this.apply(ev.type, ev.object);
        }
        if (rv) this.resourceVersion = rv;
      }
      if (fresh && !this.synced && !signal.aborted) {
        throw new StreamingListUnsupported('the watch ended before the initial events did');
      }
    } catch (err) {
      if (state.silent) throw new WatchSilent(silenceMs);
      if (fresh && !this.synced && isApiError(err) && (err.status === 400 || err.status === 422)) {
        throw new StreamingListUnsupported(err.message);
      }
      throw err;
    } finally {
      timer.cancel();
      signal.removeEventListener('abort', onAbort);
      stream.abort();
    }
  }

  private apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', raw: T): void {
    const inScope = this.inScope(raw);
    if (type === 'DELETED' || !inScope) {
      // Out of scope is gone for this cache: the server would have sent it as a DELETED had it
      // filtered. Handlers never heard of an object that was never in scope.
      const old = this.cache.remove(objectKey(raw));
      if (old) this.dispatch('delete', old);
      else if (inScope) this.dispatch('delete', this.transform(raw));
      return;
    }
    const obj = this.transform(raw);
    const old = this.cache.upsert(obj);
    if (old) this.dispatch('update', obj, old);
    else this.dispatch('add', obj);
  }

  private dispatch(kind: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    for (const h of this.handlers) {
      try {
        if (kind === 'add') h.onAdd?.(obj);
        else if (kind === 'update') h.onUpdate?.(old ?? obj, obj);
        else h.onDelete?.(obj);
      } catch (err) {
        this.opts.log.error('event handler failed', {
          informer: this.name,
          key: objectKey(obj),
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }
}
