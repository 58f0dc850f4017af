import { describe, expect, it, jest } from '@jest/globals';
import { ReconcileError } from './external-client.ts';
import {
  createdNote,
  finalizer,
  finalizerPatch,
  readyConditions,
  retryingConditions,
  setup,
  statusApply,
  t0,
  type Setup,
} from './managed-fixture.ts';
import { minInProgressRequeueMs } from './managed-reconciler.ts';
import { WaitingError } from './waiting.ts';

const notFound = () =>
  new WaitingError('FolderNotFound', 'Folder docs does not exist in namespace ns');

/** A new Note whose backend waits for a folder on create. */
function newNote(): Setup {
  const s = setup();
  s.api.seed(s.client, {
    apiVersion: 'example.kcloud.io/v1alpha1',
    kind: 'Note',
    metadata: { namespace: 'ns', name: 'a' },
    spec: { text: 'hello' },
  });
  s.syncCache();
  return s;
}

describe('managedReconciler and a WaitingError', () => {
  it('shows the wait as Pending with its reason, without an event, an error or a requeue', async () => {
    const s = newNote();
    s.backend.failNext.set('create', notFound());

    // Resolves: the controller neither logs an error nor backs off.
    expect(await s.run()).toBeUndefined();

    expect(s.backend.calls).toEqual(['observe', 'create']);
    expect(s.api.calls).toEqual([
      finalizerPatch([finalizer], '1'),
      statusApply({
        phase: 'Pending',
        conditions: retryingConditions(
          1,
          'FolderNotFound',
          'Folder docs does not exist in namespace ns',
          t0,
        ),
      }),
    ]);
    expect(s.stored().status?.observedGeneration).toBeUndefined();
    expect(s.recorder.events).toEqual([]);
  });

  it('writes nothing while the wait goes on, and turns Ready once the referent is there', async () => {
    const s = newNote();
    s.backend.failNext.set('create', notFound());
    await s.run();
    s.syncCache();
    s.clear();

    s.backend.failNext.set('create', notFound());
    await s.clock.advance(5_000);
    expect(await s.run()).toBeUndefined();
    expect(s.api.calls).toEqual([]);
    expect(s.recorder.events).toEqual([]);

    s.clear();
    await s.clock.advance(5_000);
    expect(await s.run()).toBeUndefined();
    expect(s.backend.calls).toEqual(['observe', 'create', 'observe']);
    expect(s.api.calls).toEqual([
      statusApply({
        path: '/notes/ns/a',
        size: 5,
        phase: 'Ready',
        conditions: readyConditions(1, '2026-01-01T00:00:10Z').map((c) =>
          c.type === 'Stalled' ? { ...c, lastTransitionTime: t0 } : c,
        ),
        observedGeneration: 1,
      }),
    ]);
    expect(s.recorder.summary()).toEqual(['Normal Created']);
  });

  it('keeps what was observed and the observed generation when a Ready object starts waiting', async () => {
    const s = await createdNote();
    await s.client.patch('ns', 'a', 'merge', { spec: { text: 'changed' } });
    s.syncCache();
    s.clear();
    await s.clock.advance(60_000);
    s.backend.failNext.set('update', notFound());

    expect(await s.run()).toBeUndefined();

    expect(s.api.calls).toEqual([
      statusApply({
        path: '/notes/ns/a',
        size: 5,
        phase: 'Pending',
        conditions: retryingConditions(
          2,
          'FolderNotFound',
          'Folder docs does not exist in namespace ns',
          '2026-01-01T00:01:00Z',
          t0,
        ),
        observedGeneration: 1,
      }),
    ]);
    expect(s.recorder.events).toEqual([]);
  });

  it('looks again after the delay a wait names, and never sooner than the shortest', async () => {
    const s = newNote();
    s.backend.failNext.set(
      'observe',
      new WaitingError('HostNotFound', 'no host yet', { requeueAfterMs: 7_000 }),
    );
    expect(await s.run()).toEqual({ requeueAfter: 7_000 });
    s.syncCache();
    s.backend.failNext.set(
      'observe',
      new WaitingError('HostNotFound', 'no host yet', { requeueAfterMs: 0 }),
    );
    expect(await s.run()).toEqual({ requeueAfter: minInProgressRequeueMs });
  });

  it('logs at info when the object starts waiting or waits for something else, at debug after', async () => {
    const s = newNote();
    const info = jest.spyOn(s.ctx.log, 'info');
    const debug = jest.spyOn(s.ctx.log, 'debug');
    const error = jest.spyOn(s.ctx.log, 'error');
    const waitOnce = async (err: WaitingError) => {
      s.backend.failNext.set('create', err);
      await s.run();
      s.syncCache();
    };

    await waitOnce(notFound());
    await waitOnce(notFound());
    await waitOnce(new WaitingError('FolderNotReady', 'Folder docs is not ready'));

    const calls = (spy: typeof info) => spy.mock.calls.map((c) => (c as unknown[]).slice(0, 2));
    expect(calls(info)).toEqual([
      [
        'waiting',
        { reason: 'FolderNotFound', detail: 'Folder docs does not exist in namespace ns' },
      ],
      ['waiting', { reason: 'FolderNotReady', detail: 'Folder docs is not ready' }],
    ]);
    expect(calls(debug)).toEqual([
      [
        'waiting',
        { reason: 'FolderNotFound', detail: 'Folder docs does not exist in namespace ns' },
      ],
    ]);
    expect(error).not.toHaveBeenCalled();
  });

  it('leaves a failure of the backend a failure: Failed, an event, rethrown for backoff', async () => {
    const s = newNote();
    const refused = new ReconcileError('Refused', 'the backend refused the note');
    s.backend.failNext.set('create', refused);

    await expect(s.run()).rejects.toBe(refused);
    expect(s.stored().status?.phase).toBe('Failed');
    expect(s.recorder.summary()).toEqual(['Warning Refused']);
  });
});
