import type { ListerWatcher } from '../informer/index.ts';
import type {
  KubeObject,
  ListOptions,
  ObjectList,
  WatchEvent,
  WatchOptions,
} from '../kube/index.ts';

/** What a test pushes into a watch: an event, a failure, or the server closing the stream. */
export type StreamItem<T extends KubeObject> = WatchEvent<T> | Error | 'end';

/** One watch stream, fed by hand; it ends when its signal aborts. */
export class FakeWatchStream<T extends KubeObject> {
  readonly opts: WatchOptions;
  private readonly queue: StreamItem<T>[] = [];
  private wake: (() => void) | undefined;

  constructor(opts: WatchOptions) {
    this.opts = opts;
  }

  push(item: StreamItem<T>): void {
    this.queue.push(item);
    this.wake?.();
  }

  async *events(): AsyncGenerator<WatchEvent<T>> {
    const signal = this.opts.signal;
    for (;;) {
      const item = this.queue.shift();
      if (item === undefined) {
        // Like a real request: an aborted signal ends the stream, even one aborted before.
        if (signal?.aborted) throw signal.reason as Error;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          signal?.addEventListener(
            'abort',
            () => {
              resolve();
            },
            { once: true },
          );
        });
        if (signal?.aborted) throw signal.reason as Error;
        continue;
      }
      if (item === 'end') return;
      if (item instanceof Error) throw item;
      yield item;
    }
  }
}

/** One page of a list answer. */
export function listPage<T extends KubeObject>(
  items: T[],
  resourceVersion: string,
  cont?: string,
): ObjectList<T> {
  return { metadata: { resourceVersion, ...(cont ? { continue: cont } : {}) }, items };
}

/**
 * A ListerWatcher for informers in unit tests. Lists answer from scripted rounds of pages:
 * each full list (one without a continue token) moves to the next round, and the last round
 * repeats. Every watch opens a new FakeWatchStream that the test feeds.
 */
export class FakeListerWatcher<T extends KubeObject> implements ListerWatcher<T> {
  /** Rounds of pages; a page's continue token is the index of the next page in its round. */
  pages: ObjectList<T>[][] = [];
  readonly listCalls: ListOptions[] = [];
  readonly streams: FakeWatchStream<T>[] = [];
  private listRound = -1;

  list(opts: ListOptions): Promise<ObjectList<T>> {
    this.listCalls.push(opts);
    if (!opts.continue) this.listRound++;
    const round = this.pages[Math.min(this.listRound, this.pages.length - 1)] ?? [];
    const page = round[opts.continue ? Number(opts.continue) : 0];
    if (!page) return Promise.reject(new Error('no such page'));
    return Promise.resolve(page);
  }

  watch(opts: WatchOptions): AsyncIterable<WatchEvent<T>> {
    const stream = new FakeWatchStream<T>(opts);
    this.streams.push(stream);
    return stream.events();
  }

  /** The watch opened last. */
  get last(): FakeWatchStream<T> {
    const stream = this.streams.at(-1);
    if (!stream) throw new Error('no watch opened');
    return stream;
  }
}
