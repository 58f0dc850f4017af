import { describe, expect, it } from '@jest/globals';
import { FakeClock, flushPromises } from '../clock/index.ts';
import { ApiError, type KubeObject, type ObjectList } from '../kube/index.ts';
import { createLogger } from '../logging/logger.ts';
import { FakeListerWatcher, listPage } from '../testing/index.ts';
import { Backoff } from './backoff.ts';
import { Informer } from './informer.ts';

const log = createLogger('test', 'error');

function obj(name: string, rv: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { namespace: 'ns', name, resourceVersion: rv, managedFields: [{}] },
    ...extra,
  };
}

const page = listPage<KubeObject>;

function setup(
  pages: ObjectList<KubeObject>[][],
  extra: Partial<ConstructorParameters<typeof Informer>[0]> = {},
) {
  const server = new FakeListerWatcher<KubeObject>();
  server.pages = pages;
  const clock = new FakeClock(0);
  const seen: string[] = [];
  const informer = new Informer<KubeObject>({
    name: 'things',
    client: server,
    pageSize: 2,
    clock,
    log,
    initialList: 'paginated',
    backoff: new Backoff(800, 30_000, () => 0),
    watchTimeoutSeconds: () => 300,
    silenceTimeoutMs: 10_000,
    ...extra,
  });
  informer.addHandler({
    onAdd: (o) => seen.push(`add ${o.metadata.name ?? ''}@${o.metadata.resourceVersion ?? ''}`),
    onUpdate: (_old, o) =>
      seen.push(`update ${o.metadata.name ?? ''}@${o.metadata.resourceVersion ?? ''}`),
    onDelete: (o) => seen.push(`delete ${o.metadata.name ?? ''}`),
  });
  const ac = new AbortController();
  const running = informer.run(ac.signal);
  const stop = async () => {
    ac.abort(new Error('test over'));
    await running;
  };
  return { server, clock, seen, informer, stop };
}

describe('Informer', () => {
  it('lists in pages, then watches from the list resourceVersion with bookmarks', async () => {
    const { server, informer, seen, stop, clock } = setup([
      [page([obj('a', '1'), obj('b', '2')], '10', '1'), page([obj('c', '3')], '10')],
    ]);
    await clock.advance(0);
    await informer.waitForSync();
    expect(server.listCalls.map((c) => [c.limit, c.continue])).toEqual([
      [2, undefined],
      [2, '1'],
    ]);
    expect(informer.cache.size).toBe(3);
    // managedFields are dropped before caching.
    expect(informer.cache.get('ns/a')?.metadata.managedFields).toBeUndefined();
    expect(server.last.opts).toMatchObject({
      resourceVersion: '10',
      allowWatchBookmarks: true,
      timeoutSeconds: 300,
    });

    server.last.push({ type: 'MODIFIED', object: obj('a', '11') });
    server.last.push({ type: 'DELETED', object: obj('b', '12') });
    server.last.push({ type: 'ADDED', object: obj('d', '13') });
    server.last.push({ type: 'BOOKMARK', object: obj('', '20') });
    await flushPromises();
    expect(seen).toEqual(['add a@1', 'add b@2', 'add c@3', 'update a@11', 'delete b', 'add d@13']);
    expect(informer.lastSyncResourceVersion()).toBe('20');
    await stop();
  });

  it('resumes from the last resourceVersion when the server ends a watch, without relisting', async () => {
    const { server, informer, stop, clock } = setup([[page([obj('a', '1')], '5')]]);
    await clock.advance(0);
    await informer.waitForSync();
    server.last.push({ type: 'MODIFIED', object: obj('a', '6') });
    server.last.push('end');
    await flushPromises();
    expect(server.streams).toHaveLength(2);
    expect(server.last.opts.resourceVersion).toBe('6');
    expect(informer.stats.lists).toBe(1);
    await stop();
  });

  it('relists on 410 Gone and reports what changed while it was away', async () => {
    const { server, informer, seen, stop, clock } = setup([
      [page([obj('a', '1'), obj('b', '2')], '5')],
      [page([obj('a', '7'), obj('c', '8')], '9')],
    ]);
    await clock.advance(0);
    await informer.waitForSync();
    server.last.push({
      type: 'ERROR',
      object: {
        metadata: {},
        code: 410,
        reason: 'Expired',
        message: 'too old',
      } as unknown as KubeObject,
    });
    await flushPromises();
    expect(informer.stats.relists).toBe(1);
    expect(seen.slice(2)).toEqual(['delete b', 'update a@7', 'add c@8']);
    expect(server.last.opts.resourceVersion).toBe('9');
    await stop();
  });

  it('retries a failed watch from the same resourceVersion after a growing backoff', async () => {
    const { server, informer, stop, clock } = setup([[page([obj('a', '1')], '5')]]);
    await clock.advance(0);
    await informer.waitForSync();
    server.last.push(new ApiError(503, { message: 'unavailable' }, 'watch'));
    await flushPromises();
    expect(server.streams).toHaveLength(1);
    await clock.advance(799);
    expect(server.streams).toHaveLength(1);
    await clock.advance(1);
    expect(server.streams).toHaveLength(2);
    expect(server.last.opts.resourceVersion).toBe('5');

    server.last.push(new Error('connection refused'));
    await clock.advance(1_599);
    expect(server.streams).toHaveLength(2);
    await clock.advance(1);
    expect(server.streams).toHaveLength(3);
    expect(informer.stats).toMatchObject({ lists: 1, restarts: 2 });
    await stop();
  });

  it('restarts a watch that falls silent', async () => {
    const { server, informer, stop, clock } = setup([[page([obj('a', '1')], '5')]]);
    await clock.advance(0);
    await informer.waitForSync();
    await clock.advance(9_000);
    server.last.push({ type: 'BOOKMARK', object: obj('', '6') });
    await clock.advance(9_000);
    expect(server.streams).toHaveLength(1);
    await clock.advance(1_000 + 800);
    expect(server.streams).toHaveLength(2);
    expect(server.last.opts.resourceVersion).toBe('6');
    await stop();
  });

  it('can start with a streaming list (sendInitialEvents) and syncs at the initial-events-end bookmark', async () => {
    const { server, informer, seen, stop, clock } = setup([], { initialList: 'streaming' });
    await clock.advance(0);
    expect(server.listCalls).toHaveLength(0);
    expect(server.last.opts).toMatchObject({
      sendInitialEvents: true,
      resourceVersionMatch: 'NotOlderThan',
      resourceVersion: '',
    });
    server.last.push({ type: 'ADDED', object: obj('a', '1') });
    server.last.push({ type: 'ADDED', object: obj('b', '2') });
    await flushPromises();
    expect(informer.hasSynced()).toBe(false);
    server.last.push({
      type: 'BOOKMARK',
      object: {
        metadata: { resourceVersion: '3', annotations: { 'k8s.io/initial-events-end': 'true' } },
      },
    });
    await informer.waitForSync();
    server.last.push({ type: 'MODIFIED', object: obj('b', '4') });
    await flushPromises();
    expect(seen).toEqual(['add a@1', 'add b@2', 'update b@4']);
    await stop();
  });

  it('tells a handler added after sync about what is already cached', async () => {
    const { informer, stop, clock } = setup([[page([obj('a', '1')], '5')]]);
    await clock.advance(0);
    await informer.waitForSync();
    const late: string[] = [];
    informer.addHandler({ onAdd: (o) => late.push(o.metadata.name ?? '') });
    expect(late).toEqual(['a']);
    await stop();
  });

  it('falls back to paginated lists when the server ignores sendInitialEvents', async () => {
    const { server, informer, seen, stop, clock } = setup([[page([obj('a', '1')], '5')]], {
      initialList: 'streaming',
    });
    await clock.advance(0);
    expect(server.last.opts.sendInitialEvents).toBe(true);
    // An old server starts a plain watch "from now": no initial events, a plain bookmark.
    server.last.push({ type: 'BOOKMARK', object: obj('', '7') });
    await informer.waitForSync();
    await flushPromises();
    expect(server.listCalls).toHaveLength(1);
    expect(server.last.opts.sendInitialEvents).toBeUndefined();
    expect(server.last.opts.resourceVersion).toBe('5');
    expect(seen).toEqual(['add a@1']);
    await stop();
  });

  it('falls back to paginated lists when the server refuses a streaming list', async () => {
    const { server, informer, stop, clock } = setup([[page([obj('a', '1')], '5')]], {
      initialList: 'streaming',
    });
    await clock.advance(0);
    server.last.push(
      new ApiError(422, { reason: 'Invalid', message: 'sendInitialEvents is forbidden' }, 'watch'),
    );
    await informer.waitForSync();
    expect(informer.cache.size).toBe(1);
    await stop();
  });

  describe('with a scope narrowed on the client', () => {
    const bound = (name: string, rv: string, host?: string): KubeObject => {
      const o = obj(name, rv);
      if (host !== undefined) o.metadata.labels = { host };
      return o;
    };
    const mine = new Set(['h1', 'h2']);
    const inScope = (o: KubeObject) => mine.has(o.metadata.labels?.host ?? '');

    it('caches and tells only what is in scope from a paginated list', async () => {
      const { informer, seen, stop, clock } = setup(
        [
          [
            page([bound('a', '1', 'h1'), bound('x', '2', 'other')], '10', '1'),
            page([bound('b', '3', 'h2'), bound('u', '4')], '10'),
          ],
        ],
        { inScope },
      );
      await clock.advance(0);
      await informer.waitForSync();
      expect(informer.cache.keys().sort()).toEqual(['ns/a', 'ns/b']);
      expect(seen).toEqual(['add a@1', 'add b@3']);
      await stop();
    });

    it('caches only what is in scope from a streaming list', async () => {
      const { server, informer, seen, stop, clock } = setup([], {
        inScope,
        initialList: 'streaming',
      });
      await clock.advance(0);
      server.last.push({ type: 'ADDED', object: bound('a', '1', 'h1') });
      server.last.push({ type: 'ADDED', object: bound('x', '2', 'other') });
      server.last.push({
        type: 'BOOKMARK',
        object: {
          metadata: { resourceVersion: '3', annotations: { 'k8s.io/initial-events-end': 'true' } },
        },
      });
      await informer.waitForSync();
      expect(informer.cache.keys()).toEqual(['ns/a']);
      expect(seen).toEqual(['add a@1']);
      await stop();
    });

    it('treats an object leaving the scope as deleted and one entering it as added', async () => {
      const { server, informer, seen, stop, clock } = setup(
        [[page([bound('a', '1', 'h1'), bound('x', '2', 'other')], '10')]],
        { inScope },
      );
      await clock.advance(0);
      await informer.waitForSync();
      // a is bound to another host: gone from here; x is bound to one of ours: new here.
      server.last.push({ type: 'MODIFIED', object: bound('a', '11', 'other') });
      server.last.push({ type: 'MODIFIED', object: bound('x', '12', 'h2') });
      await flushPromises();
      expect(informer.cache.keys()).toEqual(['ns/x']);
      expect(seen).toEqual(['add a@1', 'delete a', 'add x@12']);
      expect(informer.cache.get('ns/x')?.metadata.managedFields).toBeUndefined();

      // Out of scope throughout: never heard of, whatever happens to it.
      server.last.push({ type: 'ADDED', object: bound('y', '13', 'other') });
      server.last.push({ type: 'MODIFIED', object: bound('y', '14') });
      server.last.push({ type: 'DELETED', object: bound('y', '15') });
      server.last.push({ type: 'MODIFIED', object: bound('a', '16', 'elsewhere') });
      server.last.push({ type: 'DELETED', object: bound('a', '17', 'elsewhere') });
      // In scope as before: an update, then a delete.
      server.last.push({ type: 'MODIFIED', object: bound('x', '18', 'h2') });
      server.last.push({ type: 'DELETED', object: bound('x', '19', 'h2') });
      await flushPromises();
      expect(seen.slice(3)).toEqual(['update x@18', 'delete x']);
      expect(informer.cache.size).toBe(0);
      // Events out of scope still move the resourceVersion a resumed watch starts from.
      expect(informer.lastSyncResourceVersion()).toBe('19');
      server.last.push({ type: 'ADDED', object: bound('z', '20', 'other') });
      server.last.push('end');
      await flushPromises();
      expect(server.last.opts.resourceVersion).toBe('20');
      await stop();
    });

    it('reports what entered and left the scope while it was away when it relists', async () => {
      const { server, informer, seen, stop, clock } = setup(
        [
          [page([bound('a', '1', 'h1'), bound('b', '2', 'h2'), bound('x', '3', 'other')], '5')],
          [page([bound('a', '1', 'h1'), bound('b', '7', 'other'), bound('x', '8', 'h1')], '9')],
        ],
        { inScope },
      );
      await clock.advance(0);
      await informer.waitForSync();
      server.last.push(new ApiError(410, { reason: 'Expired', message: 'too old' }, 'watch'));
      await flushPromises();
      expect(informer.stats.relists).toBe(1);
      expect(seen).toEqual(['add a@1', 'add b@2', 'delete b', 'add x@8']);
      expect(informer.cache.keys().sort()).toEqual(['ns/a', 'ns/x']);
      expect(server.last.opts.resourceVersion).toBe('9');
      await stop();
    });
  });

  it('stops at once when told to stop between the list and the watch', async () => {
    const server = new FakeListerWatcher<KubeObject>();
    server.pages = [[page([obj('a', '1')], '5')]];
    const ac = new AbortController();
    const informer = new Informer<KubeObject>({
      name: 'things',
      client: {
        list: async (o) => {
          const p = await server.list(o);
          ac.abort(new Error('stop now'));
          return p;
        },
        watch: (o) => server.watch(o),
      },
      initialList: 'paginated',
      clock: new FakeClock(0),
      log,
    });
    // Resolves only if the watch notices the abort that came before it started.
    await informer.run(ac.signal);
    expect(server.streams).toHaveLength(1);
    expect(server.last.opts.signal?.aborted).toBe(true);
  });
});
