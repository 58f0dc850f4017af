import { describe, expect, it } from '@jest/globals';
import { isConflict, ObjectClient, type KubeObject, type ResourceRef } from '../kube/index.ts';
import { RecordingApi } from '../testing/index.ts';
import { bindingClient } from './binding-client.ts';
import { refuse, type Decision } from './decision.ts';
import { hostLabel } from './host-bound.ts';

const volumes: ResourceRef = {
  group: 'evs.kcloud.io',
  version: 'v1alpha1',
  plural: 'volumes',
  namespaced: true,
  kind: 'Volume',
};

const finalizers = ['evs.kcloud.io/cleanup', 'evs.kcloud.io/data'];
const signal = new AbortController().signal;
const bind = <S>(host: string, status: S): Decision<S> => ({ bind: host, status });

function setup(
  decision: Decision<{ storagePool: string }>,
  stored: Partial<KubeObject['metadata']> = {},
) {
  const api = new RecordingApi();
  const client = new ObjectClient<KubeObject>(api, volumes);
  const obj = api.seed(client, {
    apiVersion: 'evs.kcloud.io/v1alpha1',
    kind: 'Volume',
    metadata: { namespace: 'ns', name: 'v', ...stored },
  });
  const external = bindingClient(
    client,
    () => decision,
    () => true,
    finalizers,
  );
  const storedMeta = () => api.peek(client, 'ns', 'v')?.metadata;
  return { api, client, obj, external, stored: storedMeta };
}

describe('bindingClient', () => {
  it('binds with one write: the host label and the finalizers, guarded by the resourceVersion', async () => {
    const s = setup(bind('h1', { storagePool: 'p' }), { finalizers: ['someone.else/keep'] });
    const seen = await s.external.observe(s.obj, signal);
    expect(seen).toMatchObject({ exists: false, upToDate: false });
    await s.external.create(s.obj, signal);

    expect(s.api.writes()).toHaveLength(1);
    expect(s.api.writes()[0]?.body).toEqual({
      metadata: {
        labels: { [hostLabel]: 'h1' },
        finalizers: ['someone.else/keep', ...finalizers],
        resourceVersion: s.obj.metadata.resourceVersion,
      },
    });
    expect(s.stored()?.labels?.[hostLabel]).toBe('h1');
    expect(s.stored()?.finalizers).toEqual(['someone.else/keep', ...finalizers]);
    // The same reconcile observes its copy again: bound and up to date.
    expect(await s.external.observe(s.obj, signal)).toMatchObject({ upToDate: true });
  });

  it('is not up to date while a finalizer is missing, and then writes it with the label', async () => {
    const s = setup(bind('h1', { storagePool: 'p' }), {
      labels: { [hostLabel]: 'h1' },
      finalizers: [finalizers[0] ?? ''],
    });
    const seen = await s.external.observe(s.obj, signal);
    expect(seen).toMatchObject({ exists: true, upToDate: false });
    await s.external.update(s.obj, seen, signal);
    expect(s.stored()?.finalizers).toEqual(finalizers);
  });

  it('writes no finalizers, and no resourceVersion, when they are all there', async () => {
    const s = setup(bind('h2', { storagePool: 'p' }), {
      labels: { [hostLabel]: 'h1' },
      finalizers,
    });
    const seen = await s.external.observe(s.obj, signal);
    await s.external.update(s.obj, seen, signal);
    expect(s.api.writes()[0]?.body).toEqual({ metadata: { labels: { [hostLabel]: 'h2' } } });
  });

  it('loses nobody’s finalizer: a stale copy is refused with a conflict', async () => {
    const s = setup(bind('h1', { storagePool: 'p' }));
    // Another writer adds its finalizer after our copy was read.
    await s.client.patch('ns', 'v', 'merge', { metadata: { finalizers: ['other/f'] } });
    expect(await s.external.observe(s.obj, signal)).toMatchObject({ upToDate: false });
    const err = await s.external.create(s.obj, signal).catch((e: unknown) => e);
    expect(isConflict(err)).toBe(true);
    expect(s.stored()?.finalizers).toEqual(['other/f']);
    expect(s.stored()?.labels?.[hostLabel]).toBeUndefined();
  });

  it('writes nothing for an object it refuses: nothing was made, so no finalizer', async () => {
    const s = setup(refuse('VolumeTypeNotFound', 'no such type'));
    await expect(s.external.observe(s.obj, signal)).rejects.toThrow('no such type');
    expect(s.api.writes()).toEqual([]);
  });
});
