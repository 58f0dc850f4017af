import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import winston from 'winston';
import { Cache } from '../informer/index.ts';
import { ObjectClient, type KubeObject, type ResourceRef } from '../kube/index.ts';
import { RecordingApi } from '../testing/index.ts';
import { OrphanSweeper, type BackendObject, type OrphanPolicy } from './sweeper.ts';

const volumes: ResourceRef = {
  group: 'evs.kcloud.io',
  version: 'v1alpha1',
  plural: 'volumes',
  namespaced: true,
  kind: 'Volume',
};
const volumePath = (name: string) => `/apis/evs.kcloud.io/v1alpha1/namespaces/ns/volumes/${name}`;

type LogEntry = Record<string, unknown> & { level: string; message: string };

/** A file in a pool, owned by a Volume. */
const file = (name: string, uid: string, namespace = 'ns'): BackendObject => ({
  id: `pool/${uid}.qcow2`,
  kind: 'Volume',
  owner: { namespace, name, uid },
});

function setup(policy: 'delete' | 'quarantine' = 'quarantine', namespace?: string) {
  const api = new RecordingApi();
  const client = new ObjectClient<KubeObject>(api, volumes);
  const cache = new Cache<KubeObject>();
  const informer = { cache, synced: true, hasSynced: () => informer.synced };
  const backend: BackendObject[] = [];
  const actions: string[] = [];
  const entries: LogEntry[] = [];
  const stream = new Writable({
    objectMode: true,
    write(chunk: LogEntry, _encoding, done) {
      entries.push(chunk);
      done();
    },
  });
  const registry = new Registry();
  const state = { failActions: 0 };
  const act = (obj: BackendObject) => {
    if (state.failActions > 0) {
      state.failActions--;
      return Promise.reject(new Error('the pool is busy'));
    }
    actions.push(`${policy} ${obj.id}`);
    return Promise.resolve();
  };
  const chosen: OrphanPolicy<BackendObject> =
    policy === 'delete'
      ? { action: 'delete', delete: act }
      : { action: 'quarantine', quarantine: act };
  const sweeper = new OrphanSweeper<BackendObject>({
    controller: 'evs-pool-sweep',
    list: () => Promise.resolve([...backend]),
    owners: { Volume: { informer, live: client } },
    policy: chosen,
    ...(namespace !== undefined ? { namespace } : {}),
    log: winston.createLogger({
      level: 'debug',
      transports: [new winston.transports.Stream({ stream })],
    }),
    registry,
  });
  const sweep = () => sweeper.sweep(new AbortController().signal);
  /** A Volume in the API server (and, unless told otherwise, in the cache). */
  const volume = (name: string, inCache = true) => {
    const stored = api.seed(client, {
      apiVersion: 'evs.kcloud.io/v1alpha1',
      kind: 'Volume',
      metadata: { namespace: 'ns', name },
    });
    if (inCache) cache.upsert(stored);
    return stored.metadata.uid ?? '';
  };
  const total = async (action: string) => {
    const values = (await registry.getSingleMetric('kcloud_orphans_total')?.get())?.values ?? [];
    return values.find(
      (v) => v.labels.controller === 'evs-pool-sweep' && v.labels.action === action,
    )?.value;
  };
  return {
    api,
    cache,
    informer,
    backend,
    actions,
    entries,
    sweep,
    volume,
    total,
    get failActions() {
      return state.failActions;
    },
    set failActions(n: number) {
      state.failActions = n;
    },
  };
}

describe('OrphanSweeper', () => {
  it('acts on an orphan seen in two sweeps running, once the API server says its owner is gone', async () => {
    const s = setup('quarantine');
    s.backend.push(file('gone', 'uid-gone'));

    const first = await s.sweep();
    // First sighting: suspected, never acted on.
    expect(first).toMatchObject({ synced: true, acted: [], suspected: [file('gone', 'uid-gone')] });
    expect(s.actions).toEqual([]);
    expect(s.api.calls).toEqual([{ verb: 'GET', path: volumePath('gone') }]);

    const second = await s.sweep();
    expect(second.acted).toEqual([file('gone', 'uid-gone')]);
    expect(s.actions).toEqual(['quarantine pool/uid-gone.qcow2']);
    expect(await s.total('quarantined')).toBe(1);
    expect(await s.total('deleted')).toBeUndefined();
    // One structured line per object.
    expect(
      s.entries
        .filter((e) => e.level === 'info')
        .map((e) => JSON.parse(JSON.stringify(e)) as unknown),
    ).toEqual([
      {
        level: 'info',
        message: 'orphaned backend object quarantined',
        controller: 'evs-pool-sweep',
        action: 'quarantined',
        id: 'pool/uid-gone.qcow2',
        kind: 'Volume',
        namespace: 'ns',
        name: 'gone',
        uid: 'uid-gone',
      },
    ]);

    // Acted on: the product moved it aside, so it is no longer listed; nothing more happens.
    s.backend.length = 0;
    await s.sweep();
    expect(s.actions).toHaveLength(1);
  });

  it('never acts on a cache miss alone: the owner the API server still has keeps its objects', async () => {
    const s = setup('delete');
    // Created, but the cache has not seen it yet (a lagging watch).
    const uid = s.volume('new', false);
    s.backend.push(file('new', uid));
    for (let i = 0; i < 3; i++) {
      expect(await s.sweep()).toMatchObject({ acted: [], suspected: [] });
    }
    expect(s.actions).toEqual([]);
    expect(s.api.calls.map((c) => `${c.verb} ${c.path}`)).toEqual(
      Array(3).fill(`GET ${volumePath('new')}`),
    );
    expect(await s.total('deleted')).toBe(0);
  });

  it('never reads or acts on an owner the cache holds', async () => {
    const s = setup('delete');
    const uid = s.volume('live');
    s.backend.push(file('live', uid));
    await s.sweep();
    await s.sweep();
    expect(s.actions).toEqual([]);
    expect(s.api.calls).toEqual([]);
  });

  it('acts when the name now holds another object (a new UID)', async () => {
    const s = setup('delete');
    s.volume('reused');
    s.backend.push(file('reused', 'uid-of-the-old-one'));
    await s.sweep();
    expect(s.actions).toEqual([]);
    await s.sweep();
    expect(s.actions).toEqual(['delete pool/uid-of-the-old-one.qcow2']);
    expect(await s.total('deleted')).toBe(1);
  });

  it('starts over when an owner comes back, the caches are not synced, or the owner cannot be read', async () => {
    const s = setup('quarantine');
    s.backend.push(file('flaky', 'uid-flaky'));

    // Seen, then back in the cache (a restore): the run of sightings is broken.
    await s.sweep();
    s.cache.upsert({ metadata: { namespace: 'ns', name: 'flaky', uid: 'uid-flaky' } });
    await s.sweep();
    s.cache.remove('ns/flaky');
    await s.sweep();
    expect(s.actions).toEqual([]);

    // Seen, then a sweep with an unsynced cache judges nothing and forgets.
    s.informer.synced = false;
    expect(await s.sweep()).toEqual({ synced: false, acted: [], suspected: [] });
    s.informer.synced = true;
    await s.sweep();
    expect(s.actions).toEqual([]);

    // Seen, then the owner cannot be read (the API server away): not judged, forgotten.
    s.api.failNext({ verb: 'GET' }, { code: 503, reason: 'ServiceUnavailable' });
    await s.sweep();
    await s.sweep();
    expect(s.actions).toEqual([]);

    // Two clean sightings running: acted on.
    await s.sweep();
    expect(s.actions).toEqual(['quarantine pool/uid-flaky.qcow2']);
  });

  it('leaves alone objects of kinds it does not judge, and owners in other namespaces', async () => {
    const s = setup('delete', 'ns');
    s.backend.push({ id: 'x', kind: 'Image', owner: { namespace: 'ns', name: 'img', uid: 'u1' } });
    s.backend.push(file('elsewhere', 'u2', 'other'));
    await s.sweep();
    await s.sweep();
    expect(s.actions).toEqual([]);
    expect(s.api.calls).toEqual([]);
  });

  it('reads each owner once a sweep, and tries a failed action again next sweep', async () => {
    const s = setup('delete');
    const disk = file('gone', 'uid-gone');
    const snapshot = { ...disk, id: 'pool/uid-gone@snap' };
    s.backend.push(disk, snapshot);
    await s.sweep();
    expect(s.api.calls).toHaveLength(1);

    s.failActions = 1;
    const second = await s.sweep();
    expect(second.acted).toEqual([snapshot]);
    expect(s.entries.filter((e) => e.level === 'error')).toEqual([
      expect.objectContaining({
        message: 'acting on an orphaned backend object failed',
        id: 'pool/uid-gone.qcow2',
        error: 'the pool is busy',
      }),
    ]);
    s.backend.splice(1);
    expect((await s.sweep()).acted).toEqual([disk]);
    expect(await s.total('deleted')).toBe(2);
  });
});
