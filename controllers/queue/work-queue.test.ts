import { describe, expect, it } from '@jest/globals';
import { FakeClock, flushPromises } from '../clock/index.ts';
import { lowPriority, WorkQueue } from './work-queue.ts';

function newQueue(clock = new FakeClock(0)) {
  return { clock, queue: new WorkQueue({ name: 'test', clock }) };
}

/** Lets a test look at a promise's outcome without awaiting it. */
function watch<T>(promise: Promise<T>): { settled: boolean; value: T | undefined } {
  const state: { settled: boolean; value: T | undefined } = { settled: false, value: undefined };
  void promise.then((value) => {
    state.settled = true;
    state.value = value;
  });
  return state;
}

/** Takes every waiting key, in order, and marks each done. */
async function drainKeys(queue: WorkQueue): Promise<string[]> {
  const keys: string[] = [];
  while (queue.len() > 0) {
    const key = await queue.get();
    if (key === undefined) break;
    keys.push(key);
    queue.done(key);
  }
  return keys;
}

describe('WorkQueue add/get/done', () => {
  it('queues a waiting key once however often it is added', async () => {
    const { queue } = newQueue();
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    expect(queue.len()).toBe(2);
    expect(await drainKeys(queue)).toEqual(['ns/a', 'ns/b']);
    expect(queue.len()).toBe(0);
  });

  it('hands keys out in the order of their first add', async () => {
    const { queue } = newQueue();
    for (const key of ['c', 'a', 'b', 'a', 'c', 'd']) queue.add(key);
    expect(await drainKeys(queue)).toEqual(['c', 'a', 'b', 'd']);
  });

  it('resolves waiting getters in the order they called get, one key each', async () => {
    const { queue } = newQueue();
    const first = watch(queue.get());
    const second = watch(queue.get());
    const third = watch(queue.get());
    await flushPromises();
    expect([first.settled, second.settled, third.settled]).toEqual([false, false, false]);
    queue.add('x');
    queue.add('y');
    await flushPromises();
    expect(first.value).toBe('x');
    expect(second.value).toBe('y');
    expect(third.settled).toBe(false);
    expect(queue.len()).toBe(0);
  });

  it('holds a key added while it is processed until done, then hands it out again', async () => {
    const { queue } = newQueue();
    queue.add('a');
    expect(await queue.get()).toBe('a');
    queue.add('a');
    queue.add('a');
    expect(queue.len()).toBe(0);
    const other = watch(queue.get());
    await flushPromises();
    expect(other.settled).toBe(false);

    queue.done('a');
    await flushPromises();
    expect(other.value).toBe('a');
    queue.done('a');
    expect(queue.len()).toBe(0);
  });

  it('does not queue a processed key again when it was not added meanwhile', async () => {
    const { queue } = newQueue();
    queue.add('a');
    expect(await queue.get()).toBe('a');
    queue.done('a');
    expect(queue.len()).toBe(0);
  });

  it('ignores done for a key that is not being processed', async () => {
    const { queue } = newQueue();
    queue.add('a');
    queue.done('a');
    queue.done('b');
    expect(queue.len()).toBe(1);
    expect(await drainKeys(queue)).toEqual(['a']);
  });

  it('never hands one key to two concurrent workers and processes every add', async () => {
    const { queue } = newQueue();
    const keys = ['a', 'b', 'c', 'd', 'e'];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const turns = async (n: number) => {
      for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
    };

    let seq = 0;
    const lastAdd = new Map<string, number>();
    const lastStart = new Map<string, number>();
    const held = new Set<string>();
    let overlaps = 0;
    let maxParallel = 0;
    let handedOut = 0;
    const worker = async () => {
      for (;;) {
        const key = await queue.get();
        if (key === undefined) return;
        handedOut++;
        if (held.has(key)) overlaps++;
        held.add(key);
        maxParallel = Math.max(maxParallel, held.size);
        lastStart.set(key, seq++);
        await turns(random(4));
        held.delete(key);
        queue.done(key);
      }
    };
    const workers = Array.from({ length: 4 }, worker);

    for (let i = 0; i < 300; i++) {
      const key = keys[random(keys.length)] as string;
      lastAdd.set(key, seq++);
      queue.add(key);
      if (i % 3 === 0) await turns(1);
    }
    while (queue.len() > 0 || held.size > 0) await turns(1);
    await queue.shutDownWithDrain();
    await Promise.all(workers);

    expect(overlaps).toBe(0);
    expect(maxParallel).toBeGreaterThan(1);
    // De-duplication: far fewer hand-outs than adds.
    expect(handedOut).toBeLessThan(300);
    for (const key of keys) {
      expect(lastStart.get(key)).toBeGreaterThan(lastAdd.get(key) ?? Infinity);
    }
  });
});

describe('WorkQueue priorities', () => {
  it('hands out higher priorities first, each in the order of its first add', async () => {
    const { queue } = newQueue();
    queue.add('low-1', -1);
    queue.add('a');
    queue.add('high-1', 5);
    queue.add('b', 0);
    queue.add('high-2', 5);
    queue.add('low-2', -1);
    expect(queue.len()).toBe(6);
    expect(await drainKeys(queue)).toEqual(['high-1', 'high-2', 'a', 'b', 'low-1', 'low-2']);
  });

  it('moves a waiting key up when it is added again with a higher priority, never down', async () => {
    const { queue } = newQueue();
    for (const key of ['a', 'b', 'c']) queue.add(key);
    queue.add('high', 1);
    queue.add('c', 1);
    queue.add('high', 0);
    queue.add('b', lowPriority);
    expect(queue.len()).toBe(4);
    // c's old place among the 0s is left behind: it is handed out once.
    expect(await drainKeys(queue)).toEqual(['high', 'c', 'a', 'b']);
    expect(queue.len()).toBe(0);
  });

  it('queues a key added while processed at the highest priority it was added with', async () => {
    const { queue } = newQueue();
    queue.add('busy');
    expect(await queue.get()).toBe('busy');
    queue.add('other');
    queue.add('busy', lowPriority);
    queue.add('busy', 2);
    queue.add('busy', 0);
    expect(queue.len()).toBe(1);
    queue.done('busy');
    expect(queue.len()).toBe(2);
    expect(await drainKeys(queue)).toEqual(['busy', 'other']);
  });

  it('asks the priority option for keys added without one, delayed ones included', async () => {
    const clock = new FakeClock(0);
    const urgent = new Set(['b']);
    const queue = new WorkQueue({
      name: 'test',
      clock,
      priority: (key) => (urgent.has(key) ? 1 : 0),
    });
    queue.add('a');
    queue.add('b');
    queue.add('c', 3);
    queue.addAfter('d', 10);
    urgent.add('d');
    await clock.advance(10);
    expect(await drainKeys(queue)).toEqual(['c', 'b', 'd', 'a']);
  });
});

describe('WorkQueue addAfter', () => {
  it('adds keys when their delays pass, earliest first', async () => {
    const { clock, queue } = newQueue();
    queue.addAfter('late', 30);
    queue.addAfter('early', 10);
    queue.addAfter('middle', 20);
    await clock.advance(9);
    expect(queue.len()).toBe(0);
    await clock.advance(1);
    expect(queue.len()).toBe(1);
    await clock.advance(20);
    expect(await drainKeys(queue)).toEqual(['early', 'middle', 'late']);
    expect(clock.pending()).toBe(0);
  });

  it('adds at once for a delay of zero or less', () => {
    const { clock, queue } = newQueue();
    queue.addAfter('a', 0);
    queue.addAfter('b', -5);
    expect(queue.len()).toBe(2);
    expect(clock.pending()).toBe(0);
  });

  it('keeps the earlier time when a delayed key is delayed again', async () => {
    const { clock, queue } = newQueue();
    queue.addAfter('sooner', 100);
    queue.addAfter('sooner', 50);
    queue.addAfter('kept', 10);
    queue.addAfter('kept', 100);
    await clock.advance(10);
    expect(await drainKeys(queue)).toEqual(['kept']);
    await clock.advance(40);
    expect(await drainKeys(queue)).toEqual(['sooner']);
    // Each key was held back once: nothing more arrives at 100 ms.
    await clock.advance(100);
    expect(queue.len()).toBe(0);
    expect(clock.pending()).toBe(0);
  });

  it('marks a key that is being processed dirty when its delay passes', async () => {
    const { clock, queue } = newQueue();
    queue.add('a');
    expect(await queue.get()).toBe('a');
    queue.addAfter('a', 10);
    await clock.advance(10);
    expect(queue.len()).toBe(0);
    queue.done('a');
    expect(await drainKeys(queue)).toEqual(['a']);
  });
});

describe('WorkQueue rate limiting', () => {
  it('backs a failing key off 5, 10, 20 ms by default and starts over after forget', async () => {
    const { clock, queue } = newQueue();
    const retryOnce = async (expectedDelay: number) => {
      queue.addRateLimited('a');
      await clock.advance(expectedDelay - 1);
      expect(queue.len()).toBe(0);
      await clock.advance(1);
      expect(queue.len()).toBe(1);
      expect(await drainKeys(queue)).toEqual(['a']);
    };
    await retryOnce(5);
    await retryOnce(10);
    await retryOnce(20);
    expect(queue.numRequeues('a')).toBe(3);
    queue.forget('a');
    expect(queue.numRequeues('a')).toBe(0);
    await retryOnce(5);
  });

  it('uses the rate limiter it is given', async () => {
    const clock = new FakeClock(0);
    const asked: string[] = [];
    const queue = new WorkQueue({
      name: 'custom',
      clock,
      rateLimiter: {
        when: (key) => {
          asked.push(key);
          return 1000;
        },
        forget: () => undefined,
        numRequeues: () => 42,
      },
    });
    queue.addRateLimited('a');
    await clock.advance(999);
    expect(queue.len()).toBe(0);
    await clock.advance(1);
    expect(queue.len()).toBe(1);
    expect(asked).toEqual(['a']);
    expect(queue.numRequeues('a')).toBe(42);
  });
});

describe('WorkQueue shutdown', () => {
  it('shutDown releases waiting getters and stops adds, hand-outs and delayed adds', async () => {
    const { clock, queue } = newQueue();
    const getters = [watch(queue.get()), watch(queue.get()), watch(queue.get())];
    queue.addAfter('delayed', 10);
    await flushPromises();
    queue.add('waiting');
    await flushPromises();
    expect(getters[0]?.settled).toBe(true);
    expect(queue.shuttingDown()).toBe(false);

    queue.shutDown();
    await flushPromises();
    expect(queue.shuttingDown()).toBe(true);
    expect(getters.map((g) => [g.settled, g.value])).toEqual([
      [true, 'waiting'],
      [true, undefined],
      [true, undefined],
    ]);
    expect(await queue.get()).toBeUndefined();

    queue.add('after');
    queue.addAfter('after', 1);
    queue.addRateLimited('after');
    expect(queue.len()).toBe(0);
    expect(clock.pending()).toBe(0);
    await clock.advance(100);
    expect(queue.len()).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });

  it('shutDown stops handing out keys that were still waiting', async () => {
    const { queue } = newQueue();
    queue.add('a');
    queue.add('b');
    queue.shutDown();
    expect(await queue.get()).toBeUndefined();
    expect(queue.len()).toBe(0);
  });

  it('shutDownWithDrain waits for keys being processed and refuses new adds', async () => {
    const { clock, queue } = newQueue();
    queue.add('a');
    queue.add('b');
    queue.add('c');
    queue.addAfter('delayed', 10);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');

    const drained = watch(queue.shutDownWithDrain());
    await flushPromises();
    expect(drained.settled).toBe(false);
    expect(queue.shuttingDown()).toBe(true);
    queue.add('d');
    queue.add('a');
    expect(queue.len()).toBe(1);
    expect(clock.pending()).toBe(0);

    // A key that already waited is still handed out while draining.
    expect(await queue.get()).toBe('c');
    queue.done('a');
    queue.done('b');
    await flushPromises();
    expect(drained.settled).toBe(false);
    expect(await queue.get()).toBeUndefined();

    queue.done('c');
    await flushPromises();
    expect(drained.settled).toBe(true);
    expect(queue.len()).toBe(0);
    expect(await queue.get()).toBeUndefined();
  });

  it('shutDownWithDrain releases idle getters and resolves at once with nothing in flight', async () => {
    const { queue } = newQueue();
    const getter = watch(queue.get());
    await queue.shutDownWithDrain();
    await flushPromises();
    expect(getter.settled).toBe(true);
    expect(getter.value).toBeUndefined();
    await queue.shutDownWithDrain();
  });

  it('shutDown ends a drain that is still waiting', async () => {
    const { queue } = newQueue();
    queue.add('stuck');
    expect(await queue.get()).toBe('stuck');
    const drained = watch(queue.shutDownWithDrain());
    await flushPromises();
    expect(drained.settled).toBe(false);
    queue.shutDown();
    await flushPromises();
    expect(drained.settled).toBe(true);
  });
});
