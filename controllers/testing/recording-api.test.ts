import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '../clock/index.ts';
import {
  ApiError,
  isConflict,
  ObjectClient,
  type KubeObject,
  type ResourceRef,
} from '../kube/index.ts';
import { RecordingApi } from './recording-api.ts';

interface Note extends KubeObject {
  spec: { text: string };
  status?: Record<string, unknown>;
}

const ref: ResourceRef = {
  group: 'example.kcloud.io',
  version: 'v1alpha1',
  plural: 'notes',
  namespaced: true,
  kind: 'Note',
};
const path = '/apis/example.kcloud.io/v1alpha1/namespaces/ns/notes/a';
const start = Date.UTC(2026, 0, 1);

function setup() {
  const clock = new FakeClock(start);
  const api = new RecordingApi({ clock });
  const client = new ObjectClient<Note>(api, ref);
  return { clock, api, client };
}

function note(name: string, text = 'hello', extra: Partial<Note> = {}): Note {
  return { metadata: { namespace: 'ns', name }, spec: { text }, ...extra };
}

/** The error a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('RecordingApi', () => {
  it('creates, gets and lists objects, and records each call as sent', async () => {
    const { api, client } = setup();
    const created = await client.create(note('a', 'hello', { status: { phase: 'Ready' } }));
    expect(created).toEqual({
      apiVersion: 'example.kcloud.io/v1alpha1',
      kind: 'Note',
      metadata: {
        namespace: 'ns',
        name: 'a',
        uid: '00000000-0000-4000-8000-000000000001',
        resourceVersion: '1',
        generation: 1,
        creationTimestamp: '2026-01-01T00:00:00Z',
      },
      spec: { text: 'hello' },
    });
    await client.create({ ...note('b'), metadata: { namespace: 'other', name: 'b' } });
    expect(await client.get('ns', 'a')).toEqual(created);

    const inNs = await client.list({ namespace: 'ns' });
    expect(inNs.items.map((n) => n.metadata.name)).toEqual(['a']);
    expect(inNs.metadata.resourceVersion).toBe('2');
    const all = await client.list({ limit: 1 });
    expect(all.items.map((n) => n.metadata.name)).toEqual(['a']);
    const rest = await client.list({ limit: 1, continue: all.metadata.continue ?? '' });
    expect(rest.items.map((n) => n.metadata.name)).toEqual(['b']);

    const taken = await failure(client.create(note('a')));
    expect(taken).toBeInstanceOf(ApiError);
    expect(taken).toMatchObject({ status: 409, reason: 'AlreadyExists' });

    expect(api.calls[0]).toEqual({
      verb: 'POST',
      path: '/apis/example.kcloud.io/v1alpha1/namespaces/ns/notes',
      contentType: 'application/json',
      body: {
        apiVersion: 'example.kcloud.io/v1alpha1',
        kind: 'Note',
        metadata: { namespace: 'ns', name: 'a' },
        spec: { text: 'hello' },
        status: { phase: 'Ready' },
      },
    });
    expect(api.calls.map((c) => `${c.verb} ${c.path}`)).toEqual([
      'POST /apis/example.kcloud.io/v1alpha1/namespaces/ns/notes',
      'POST /apis/example.kcloud.io/v1alpha1/namespaces/other/notes',
      `GET ${path}`,
      'GET /apis/example.kcloud.io/v1alpha1/namespaces/ns/notes',
      'GET /apis/example.kcloud.io/v1alpha1/notes',
      'GET /apis/example.kcloud.io/v1alpha1/notes',
      'POST /apis/example.kcloud.io/v1alpha1/namespaces/ns/notes',
    ]);
    expect(api.calls[4]?.query).toEqual({ limit: '1' });
    expect(api.writes()).toHaveLength(3);
  });

  it('answers a stale PUT with 409 Conflict and a Kubernetes Status, and bumps generation only for spec', async () => {
    const { client } = setup();
    const v1 = await client.create(note('a'));
    const v2 = await client.update({ ...v1, spec: { text: 'changed' } });
    expect(v2.metadata).toMatchObject({ resourceVersion: '2', generation: 2 });

    const stale = await failure(client.update({ ...v1, spec: { text: 'lost' } }));
    expect(isConflict(stale)).toBe(true);
    expect((stale as ApiError).body).toEqual({
      kind: 'Status',
      status: 'Failure',
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on notes.example.kcloud.io "a": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'a', kind: 'notes' },
    });

    const labelled = await client.update({
      ...v2,
      metadata: { ...v2.metadata, labels: { tier: 'web' } },
      status: { phase: 'ignored' },
    });
    expect(labelled.metadata).toMatchObject({ resourceVersion: '3', generation: 2 });
    expect(labelled.status).toBeUndefined();

    const withStatus = await client.updateStatus({ ...labelled, status: { phase: 'Ready' } });
    expect(withStatus.metadata).toMatchObject({ resourceVersion: '4', generation: 2 });
    expect(withStatus.status).toEqual({ phase: 'Ready' });

    // Writing what is already stored is no write at all.
    const same = await client.update(withStatus);
    expect(same.metadata.resourceVersion).toBe('4');

    const noVersion = await failure(
      client.update({ ...same, metadata: { namespace: 'ns', name: 'a' } }),
    );
    expect(noVersion).toMatchObject({ status: 422, reason: 'Invalid' });
  });

  it('checks the resourceVersion a merge patch carries, and ignores status on the object', async () => {
    const { client } = setup();
    await client.create(note('a'));
    const stale = await failure(
      client.patch('ns', 'a', 'merge', { metadata: { finalizers: ['x'], resourceVersion: '0' } }),
    );
    expect(isConflict(stale)).toBe(true);

    const patched = await client.patch('ns', 'a', 'merge', {
      metadata: { finalizers: ['x'], resourceVersion: '1' },
      status: { phase: 'ignored' },
    });
    expect(patched.metadata).toMatchObject({ finalizers: ['x'], resourceVersion: '2' });
    expect(patched.status).toBeUndefined();

    const unconditional = await client.patch('ns', 'a', 'merge', { spec: { text: 'new' } });
    expect(unconditional.metadata).toMatchObject({ resourceVersion: '3', generation: 2 });
    expect(unconditional.spec.text).toBe('new');
  });

  it('applies status per field manager: replaces the fields given, drops the ones it stops applying', async () => {
    const { client } = setup();
    await client.create(note('a'));
    const apply = (status: Record<string, unknown>, manager: string, force = true) =>
      client.patch(
        'ns',
        'a',
        'apply',
        { apiVersion: 'example.kcloud.io/v1alpha1', kind: 'Note', metadata: { name: 'a' }, status },
        { subresource: 'status', fieldManager: manager, force },
      );

    expect((await apply({ phase: 'Ready', size: 5 }, 'ctrl')).status).toEqual({
      phase: 'Ready',
      size: 5,
    });
    expect((await apply({ owner: 'other' }, 'other')).status).toEqual({
      phase: 'Ready',
      size: 5,
      owner: 'other',
    });
    const after = await apply({ phase: 'Failed' }, 'ctrl');
    expect(after.status).toEqual({ phase: 'Failed', owner: 'other' });
    expect(after.metadata.generation).toBe(1);

    const conflict = await failure(apply({ owner: 'ctrl' }, 'ctrl', false));
    expect(conflict).toMatchObject({ status: 409, reason: 'Conflict' });
    expect((await apply({ phase: 'Failed', owner: 'ctrl' }, 'ctrl')).status).toEqual({
      phase: 'Failed',
      owner: 'ctrl',
    });
    // The forced field now belongs to ctrl alone: dropping it removes it.
    expect((await apply({ phase: 'Failed' }, 'ctrl')).status).toEqual({ phase: 'Failed' });
  });

  it('owns conditions one type at a time, and names the manager holding a field in a conflict', async () => {
    const { client } = setup();
    await client.create(note('a'));
    const apply = (status: Record<string, unknown>, manager: string) =>
      client.patch(
        'ns',
        'a',
        'apply',
        { apiVersion: 'example.kcloud.io/v1alpha1', kind: 'Note', metadata: { name: 'a' }, status },
        { subresource: 'status', fieldManager: manager },
      );
    const cond = (type: string, status = 'True') => ({ type, status, reason: type, message: '' });

    await apply({ conditions: [cond('Scheduled'), cond('Ready', 'False')] }, 'manager');
    await apply({ conditions: [cond('Provisioned')] }, 'agent');
    // Each keeps the other's; a writer dropping one of its own removes only that one.
    const after = await apply({ conditions: [cond('Ready')] }, 'manager');
    expect(after.status).toEqual({ conditions: [cond('Ready'), cond('Provisioned')] });

    const err = await failure(apply({ conditions: [cond('Provisioned', 'False')] }, 'manager'));
    expect(err).toMatchObject({
      status: 409,
      reason: 'Conflict',
      body: {
        details: {
          causes: [
            {
              message: 'conflict with "agent" with subresource "status"',
              field: '.status.conditions[type="Provisioned"]',
            },
          ],
        },
      },
    });
  });

  it('marks an object with finalizers as deleting, and removes it with its last finalizer', async () => {
    const { api, client, clock } = setup();
    await client.create({ ...note('a'), metadata: { ...note('a').metadata, finalizers: ['x'] } });
    await clock.advance(60_000);
    const deleting = (await client.delete('ns', 'a')) as Note;
    expect(deleting.metadata).toMatchObject({
      deletionTimestamp: '2026-01-01T00:01:00Z',
      deletionGracePeriodSeconds: 0,
      generation: 2,
      resourceVersion: '2',
      finalizers: ['x'],
    });
    const again = (await client.delete('ns', 'a')) as Note;
    expect(again.metadata.resourceVersion).toBe('2');

    const added = await failure(
      client.patch('ns', 'a', 'merge', { metadata: { finalizers: ['x', 'y'] } }),
    );
    expect(added).toMatchObject({ status: 422, reason: 'Invalid' });

    const last = await client.patch('ns', 'a', 'merge', {
      metadata: { finalizers: [], resourceVersion: '2' },
    });
    expect(last.metadata.finalizers).toEqual([]);
    expect(api.peek(client, 'ns', 'a')).toBeUndefined();
    expect(await failure(client.get('ns', 'a'))).toMatchObject({
      status: 404,
      reason: 'NotFound',
    });

    await client.create(note('b'));
    expect(await client.delete('ns', 'b')).toMatchObject({ kind: 'Status', status: 'Success' });
    expect(api.peek(client, 'ns', 'b')).toBeUndefined();
  });

  it('fails the next matching call as told, once, and still records it', async () => {
    const { api, client } = setup();
    api.seed(client, note('a'));
    api.seed(client, note('b'));
    api.failNext({ verb: 'PATCH', path }, { code: 409, reason: 'Conflict' });
    api.failNext({ verb: 'GET' }, new Error('connection reset'));

    const other = await client.patch('ns', 'b', 'merge', { metadata: { labels: { x: 'y' } } });
    expect(other.metadata.labels).toEqual({ x: 'y' });
    const conflict = await failure(client.patch('ns', 'a', 'merge', { spec: { text: 'x' } }));
    expect(isConflict(conflict)).toBe(true);
    expect(await failure(client.get('ns', 'b'))).toEqual(new Error('connection reset'));

    const patched = await client.patch('ns', 'a', 'merge', { spec: { text: 'x' } });
    expect(patched.spec.text).toBe('x');
    expect(api.calls.map((c) => `${c.verb} ${c.path}`)).toEqual([
      `PATCH ${path.replace(/a$/, 'b')}`,
      `PATCH ${path}`,
      `GET ${path.replace(/a$/, 'b')}`,
      `PATCH ${path}`,
    ]);
  });

  it('refuses what it does not model instead of pretending', async () => {
    const { api, client } = setup();
    api.seed(client, note('a'));
    await expect(client.patch('ns', 'a', 'json', [{ op: 'remove', path: '/x' }])).rejects.toThrow(
      'does not support JSON patch',
    );
    const watch = client.watch({ namespace: 'ns' });
    await expect(watch.next()).rejects.toThrow('does not serve watches');
  });
});
