import { describe, expect, it } from '@jest/globals';
import { ApiError, isApiError, isConflict } from '../kube/index.ts';
import { ReconcileError } from './external-client.ts';
import {
  controllerName,
  createdNote,
  finalizer,
  finalizerPatch,
  path,
  readyConditions,
  retryingConditions,
  seededNote,
  startDeletion,
  statusApply,
  t0,
} from './managed-fixture.ts';
import { minInProgressRequeueMs } from './managed-reconciler.ts';

describe('managedReconciler', () => {
  it('on a new object: adds the finalizer, creates the backend resource, writes status once', async () => {
    const s = seededNote();

    expect(await s.run()).toBeUndefined();

    expect(s.api.calls).toEqual([
      finalizerPatch([finalizer], '1'),
      statusApply({
        path: '/notes/ns/a',
        size: 5,
        phase: 'Ready',
        conditions: readyConditions(1),
        observedGeneration: 1,
      }),
    ]);
    expect(s.backend.calls).toEqual(['observe', 'create', 'observe']);
    expect(s.recorder.events).toEqual([
      {
        regarding: { kind: 'Note', namespace: 'ns', name: 'a' },
        type: 'Normal',
        reason: 'Created',
        action: 'Create',
        note: 'created the backend resource',
      },
    ]);
    expect(s.stored().metadata.finalizers).toEqual([finalizer]);
    expect(s.stored().status).toMatchObject({ phase: 'Ready', observedGeneration: 1, size: 5 });
  });

  it('leaves the finalizer to the client when told so: its own write carries it', async () => {
    const s = seededNote({ text: 'hello' }, { finalizerAddedBy: 'client' });

    expect(await s.run()).toBeUndefined();

    expect(s.api.calls.map((c) => `${c.verb} ${c.path}`)).toEqual([`PATCH ${path}/status`]);
    expect(s.backend.calls).toEqual(['observe', 'create', 'observe']);
    expect(s.stored().metadata.finalizers).toBeUndefined();
  });

  it('neither acts nor writes while actsOn says the object is not its yet, then acts once it is', async () => {
    let placed = false;
    const s = seededNote({ text: 'hello' }, { finalizerAddedBy: 'client', actsOn: () => placed });

    expect(await s.run()).toBeUndefined();
    expect(s.api.calls).toEqual([]);
    expect(s.backend.calls).toEqual([]);
    expect(s.recorder.events).toEqual([]);

    placed = true;
    expect(await s.run()).toBeUndefined();
    expect(s.backend.calls).toEqual(['observe', 'create', 'observe']);
    expect(s.stored().status).toMatchObject({ phase: 'Ready', size: 5 });
  });

  it('deletes as ever an object it never acted on: its finalizer (another writer put it) goes', async () => {
    const s = seededNote({ text: 'hello' }, { finalizerAddedBy: 'client', actsOn: () => false }, [
      finalizer,
    ]);
    await startDeletion(s);

    expect(await s.run()).toBeUndefined();

    expect(s.backend.calls).toEqual(['observe']);
    expect(s.api.peek(s.client, 'ns', 'a')).toBeUndefined();
  });

  it('makes no API write and records no event when nothing changed', async () => {
    const s = await createdNote();
    await s.clock.advance(60_000);
    expect(await s.run()).toBeUndefined();
    expect(s.api.calls).toEqual([]);
    expect(s.recorder.events).toEqual([]);
    expect(s.backend.calls).toEqual(['observe']);
  });

  it('updates the backend on a spec change and reports the new observedGeneration', async () => {
    const s = await createdNote();
    await s.client.patch('ns', 'a', 'merge', { spec: { text: 'hello, world' } });
    s.syncCache();
    s.clear();
    await s.clock.advance(60_000);

    expect(await s.run()).toBeUndefined();

    expect(s.backend.calls).toEqual(['observe', 'update', 'observe']);
    // Ready stayed True, so its lastTransitionTime is the first one.
    expect(s.api.calls).toEqual([
      statusApply({
        path: '/notes/ns/a',
        size: 12,
        phase: 'Ready',
        conditions: readyConditions(2),
        observedGeneration: 2,
      }),
    ]);
    expect(s.recorder.summary()).toEqual(['Normal Updated']);
    expect(s.stored().status?.observedGeneration).toBe(2);
  });

  it('reports a backend failure as Ready=False, keeps observedGeneration, and rethrows to retry', async () => {
    const s = await createdNote();
    await s.client.patch('ns', 'a', 'merge', { spec: { text: 'too long' } });
    s.syncCache();
    s.clear();
    await s.clock.advance(60_000);
    const quota = new ReconcileError('QuotaExceeded', 'the notes volume is full');
    s.backend.failNext.set('update', quota);

    await expect(s.run()).rejects.toBe(quota);

    expect(s.backend.calls).toEqual(['observe', 'update']);
    expect(s.api.calls).toEqual([
      statusApply({
        // The product fields stay as last observed.
        path: '/notes/ns/a',
        size: 5,
        phase: 'Failed',
        // Retried by itself: Reconciling, and the generation is not yet observed.
        conditions: retryingConditions(
          2,
          'QuotaExceeded',
          'the notes volume is full',
          '2026-01-01T00:01:00Z',
          t0,
        ),
        observedGeneration: 1,
      }),
    ]);
    expect(s.recorder.events).toEqual([
      {
        regarding: { kind: 'Note', namespace: 'ns', name: 'a' },
        type: 'Warning',
        reason: 'QuotaExceeded',
        action: 'Reconcile',
        note: 'the notes volume is full',
      },
    ]);
  });

  it('reports work in progress as Provisioning, requeues after its delay, and turns Ready when done', async () => {
    const s = seededNote();
    s.backend.writesStart = {
      reason: 'Copying',
      message: 'copying the text, 40%',
      requeueAfterMs: 3_000,
    };

    expect(await s.run()).toEqual({ requeueAfter: 3_000 });

    // Created once, then left alone while it works: no second write, no BackendNotConverged.
    expect(s.backend.calls).toEqual(['observe', 'create', 'observe']);
    expect(s.api.calls).toEqual([
      finalizerPatch([finalizer], '1'),
      statusApply({
        path: '/notes/ns/a',
        size: 5,
        phase: 'Provisioning',
        // Reconciling, Stalled=False; generation 1 is not observed until the work is done.
        conditions: retryingConditions(1, 'Copying', 'copying the text, 40%', t0),
      }),
    ]);
    expect(s.stored().status?.observedGeneration).toBeUndefined();
    expect(s.recorder.summary()).toEqual(['Normal Created']);

    // Still at work: nothing written to the backend or the API server, no event, requeued.
    s.syncCache();
    s.clear();
    await s.clock.advance(3_000);
    expect(await s.run()).toEqual({ requeueAfter: 3_000 });
    expect(s.backend.calls).toEqual(['observe']);
    expect(s.api.calls).toEqual([]);
    expect(s.recorder.events).toEqual([]);

    // Done: Ready, and the generation is observed.
    s.backend.writesStart = undefined;
    s.backend.inProgress = undefined;
    s.clear();
    await s.clock.advance(3_000);
    expect(await s.run()).toBeUndefined();
    expect(s.backend.calls).toEqual(['observe']);
    expect(s.api.calls).toEqual([
      statusApply({
        path: '/notes/ns/a',
        size: 5,
        phase: 'Ready',
        // Stalled was False all along, so its lastTransitionTime is the first one.
        conditions: readyConditions(1, '2026-01-01T00:00:06Z').map((c) =>
          c.type === 'Stalled' ? { ...c, lastTransitionTime: t0 } : c,
        ),
        observedGeneration: 1,
      }),
    ]);
    expect(s.recorder.events).toEqual([]);
  });

  it('does not write over a backend at work after a spec change, and keeps observedGeneration', async () => {
    const s = await createdNote();
    await s.client.patch('ns', 'a', 'merge', { spec: { text: 'changed' } });
    s.syncCache();
    s.clear();
    await s.clock.advance(60_000);
    s.backend.inProgress = { reason: 'Booting', message: 'the host boots', requeueAfterMs: 10_000 };

    expect(await s.run()).toEqual({ requeueAfter: 10_000 });

    expect(s.backend.calls).toEqual(['observe']);
    expect(s.api.calls).toEqual([
      statusApply({
        path: '/notes/ns/a',
        size: 5,
        phase: 'Provisioning',
        conditions: retryingConditions(2, 'Booting', 'the host boots', '2026-01-01T00:01:00Z', t0),
        observedGeneration: 1,
      }),
    ]);
    expect(s.recorder.events).toEqual([]);
  });

  it('waits a little before looking at a backend at work again, whatever it asks', async () => {
    const s = await createdNote();
    for (const requeueAfterMs of [0, -5, Number.NaN, 10]) {
      s.backend.inProgress = { reason: 'Booting', message: 'the host boots', requeueAfterMs };
      expect(await s.run()).toEqual({ requeueAfter: minInProgressRequeueMs });
    }
  });

  it('writes once more when its write was undone at once, and converges', async () => {
    const s = await createdNote();
    await s.client.patch('ns', 'a', 'merge', { spec: { text: 'changed' } });
    s.syncCache();
    s.clear();
    s.backend.undoneWrites = 1;

    await s.run();

    expect(s.backend.calls).toEqual(['observe', 'update', 'observe', 'update', 'observe']);
    expect(s.backend.texts.get('ns/a')).toBe('changed');
    expect(s.stored().status?.phase).toBe('Ready');
  });

  it('reports BackendNotConverged when the backend still differs after two writes', async () => {
    const s = await createdNote();
    await s.client.patch('ns', 'a', 'merge', { spec: { text: 'changed' } });
    s.syncCache();
    s.clear();
    s.backend.undoneWrites = 2;

    await expect(s.run()).rejects.toMatchObject({ reason: 'BackendNotConverged' });

    expect(s.backend.calls).toEqual(['observe', 'update', 'observe', 'update', 'observe']);
    expect(s.stored().status?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'BackendNotConverged',
    });
  });

  it('gives an unexplained failure the reason ReconcileError', async () => {
    const s = seededNote();
    s.backend.failNext.set('create', new Error('disk on fire'));

    await expect(s.run()).rejects.toThrow('disk on fire');

    expect(s.api.calls).toEqual([
      finalizerPatch([finalizer], '1'),
      statusApply({
        phase: 'Failed',
        conditions: retryingConditions(1, 'ReconcileError', 'disk on fire', t0),
      }),
    ]);
    expect(s.recorder.summary()).toEqual(['Warning ReconcileError']);
  });

  it('passes a write refused for a stale copy (409 Conflict) to the controller: no event, no Failed status', async () => {
    const s = seededNote({ text: 'hello' }, { finalizerAddedBy: 'client' });
    s.backend.failNext.set(
      'create',
      new ApiError(409, { reason: 'Conflict', message: 'the object has been modified' }, 'PATCH'),
    );

    const err = await s.run().then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(isConflict(err)).toBe(true);
    expect(s.api.calls).toEqual([]);
    expect(s.recorder.events).toEqual([]);
    expect(s.stored().status).toBeUndefined();

    // The next look, with a fresh copy, converges as ever.
    expect(await s.run()).toBeUndefined();
    expect(s.stored().status).toMatchObject({ phase: 'Ready', size: 5 });
  });

  it('still reports a name already taken (409 AlreadyExists) as a failure', async () => {
    const s = seededNote();
    s.backend.failNext.set(
      'create',
      new ApiError(409, { reason: 'AlreadyExists', message: 'already exists' }, 'POST'),
    );

    await expect(s.run()).rejects.toThrow('already exists');

    expect(s.recorder.summary()).toEqual(['Warning ReconcileError']);
    expect(s.stored().status).toMatchObject({ phase: 'Failed' });
  });

  it('does not rethrow a failure that retrying cannot fix', async () => {
    const s = await createdNote();
    await s.client.patch('ns', 'a', 'merge', { spec: { text: 'bad' } });
    s.syncCache();
    s.clear();
    s.backend.failNext.set(
      'update',
      new ReconcileError('InvalidText', 'the text is not allowed', { retry: false }),
    );

    expect(await s.run()).toBeUndefined();

    expect(s.api.writes()).toHaveLength(1);
    // Stalled: the controller has concluded on generation 2 and waits for a human, so kstatus
    // reads it as Failed rather than as still in progress.
    expect(s.stored().status).toMatchObject({
      phase: 'Failed',
      observedGeneration: 2,
      conditions: [
        { type: 'Ready', status: 'False', reason: 'InvalidText', observedGeneration: 2 },
        { type: 'Reconciling', status: 'False', reason: 'Stalled', observedGeneration: 2 },
        {
          type: 'Stalled',
          status: 'True',
          reason: 'InvalidText',
          message: 'the text is not allowed',
          observedGeneration: 2,
        },
      ],
    });
    expect(s.recorder.summary()).toEqual(['Warning InvalidText']);
  });

  it('on a failed backend delete: Ready=False DeleteFailed, Reconciling, a Warning event and the metric, then retries', async () => {
    const s = await createdNote();
    await startDeletion(s);
    await s.clock.advance(60_000);
    const generation = s.stored().metadata.generation ?? 0;
    const resourceVersion = s.stored().metadata.resourceVersion ?? '';
    s.backend.failNext.set('delete', new Error('connect ECONNREFUSED /run/notes.sock'));
    const message = 'deleting the backend resource failed: connect ECONNREFUSED /run/notes.sock';

    await expect(s.run()).rejects.toThrow('ECONNREFUSED');

    expect(s.backend.calls).toEqual(['observe', 'delete']);
    expect(s.api.calls).toEqual([
      statusApply({
        path: '/notes/ns/a',
        size: 5,
        phase: 'Deleting',
        conditions: retryingConditions(
          generation,
          'DeleteFailed',
          message,
          '2026-01-01T00:01:00Z',
          t0,
        ),
        // The deletion has not concluded: the generation it bumped is not yet observed.
        observedGeneration: 1,
      }),
    ]);
    expect(s.recorder.events).toEqual([
      {
        regarding: { kind: 'Note', namespace: 'ns', name: 'a' },
        type: 'Warning',
        reason: 'DeleteFailed',
        action: 'Delete',
        note: message,
      },
    ]);
    expect(await s.deleteErrors({ controller: controllerName, reason: 'DeleteFailed' })).toBe(1);
    expect(s.stored().metadata.finalizers).toEqual([finalizer]);

    // The backend is back: the retry deletes it and releases the object.
    s.syncCache();
    s.clear();
    expect(await s.run()).toBeUndefined();
    expect(s.backend.calls).toEqual(['observe', 'delete', 'observe']);
    expect(s.backend.texts.size).toBe(0);
    expect(s.api.calls).toEqual([finalizerPatch([], String(Number(resourceVersion) + 1))]);
    expect(s.recorder.summary()).toEqual(['Normal Deleted']);
    expect(s.api.peek(s.client, 'ns', 'a')).toBeUndefined();
  });

  it('names the reason a backend gives for a failed delete, and stalls on one retrying cannot fix', async () => {
    const s = await createdNote();
    await startDeletion(s);
    s.backend.failNext.set(
      'observe',
      new ReconcileError('BackendUnreachable', 'the notes server is unreachable'),
    );
    await expect(s.run()).rejects.toMatchObject({ reason: 'BackendUnreachable' });
    expect(s.recorder.summary()).toEqual(['Warning BackendUnreachable']);
    expect(s.stored().status?.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: 'False',
      reason: 'BackendUnreachable',
      message: 'deleting the backend resource failed: the notes server is unreachable',
    });
    expect(await s.deleteErrors({ controller: controllerName, reason: 'BackendUnreachable' })).toBe(
      1,
    );

    s.syncCache();
    s.clear();
    s.backend.failNext.set(
      'delete',
      new ReconcileError('FileLocked', 'the file is locked by hand', { retry: false }),
    );
    expect(await s.run()).toBeUndefined();
    expect(s.stored().status?.conditions?.map((c) => `${c.type}=${c.status} ${c.reason}`)).toEqual([
      'Ready=False FileLocked',
      'Reconciling=False Stalled',
      'Stalled=True FileLocked',
    ]);
    expect(s.stored().metadata.finalizers).toEqual([finalizer]);
  });

  it('on deletion with policy Delete: deletes the backend resource, then drops the finalizer', async () => {
    const s = await createdNote();
    await startDeletion(s);
    const resourceVersion = s.stored().metadata.resourceVersion ?? '';

    expect(await s.run()).toBeUndefined();

    expect(s.backend.calls).toEqual(['observe', 'delete', 'observe']);
    expect(s.backend.texts.size).toBe(0);
    expect(s.api.calls).toEqual([finalizerPatch([], resourceVersion)]);
    expect(s.recorder.summary()).toEqual(['Normal Deleted']);
    expect(s.api.peek(s.client, 'ns', 'a')).toBeUndefined();
  });

  it('writes derived fields with every outcome, the deletion that waits included', async () => {
    let users = 1;
    const s = await createdNote(
      { text: 'hello' },
      {
        derived: () => ({ size: users }),
        deletionBlockedBy: () =>
          users > 0 ? { reason: 'InUse', message: 'someone uses it' } : undefined,
      },
    );
    expect(s.stored().status?.size).toBe(1);
    users = 2;
    await startDeletion(s);
    await s.run();
    // Blocked, and what it sums is current: others decide by it while the object goes.
    expect(s.stored().status).toMatchObject({ phase: 'Deleting', size: 2 });
    users = 0;
    s.syncCache();
    await s.run();
    expect(s.api.peek(s.client, 'ns', 'a')).toBeUndefined();
  });

  it('on deletion with policy Retain: keeps the backend resource and drops the finalizer', async () => {
    const s = await createdNote({ text: 'hello', deletionPolicy: 'Retain' });
    await startDeletion(s);
    const resourceVersion = s.stored().metadata.resourceVersion ?? '';

    expect(await s.run()).toBeUndefined();

    expect(s.backend.calls).toEqual([]);
    expect(s.backend.texts.get('ns/a')).toBe('hello');
    expect(s.api.calls).toEqual([finalizerPatch([], resourceVersion)]);
    expect(s.recorder.events).toEqual([
      {
        regarding: { kind: 'Note', namespace: 'ns', name: 'a' },
        type: 'Normal',
        reason: 'Retained',
        action: 'Delete',
        note: 'kept the backend resource (deletionPolicy Retain)',
      },
    ]);
    expect(s.api.peek(s.client, 'ns', 'a')).toBeUndefined();
  });

  it('keeps the finalizer and looks again later while the backend resource still exists', async () => {
    const s = await createdNote();
    await startDeletion(s);
    s.backend.deleteDoesNotRemove = true;

    expect(await s.run()).toEqual({ requeueAfter: 1_000 });

    expect(s.backend.calls).toEqual(['observe', 'delete', 'observe']);
    expect(s.api.calls).toEqual([]);
    expect(s.recorder.events).toEqual([]);
    expect(s.stored().metadata.finalizers).toEqual([finalizer]);
  });

  it('propagates a 409 on the finalizer patch from a stale copy, touching nothing else', async () => {
    const s = seededNote();
    // Someone else writes; the cache has not seen it yet.
    await s.client.patch('ns', 'a', 'merge', { metadata: { labels: { team: 'x' } } });
    s.clear();

    const err = await s.run().then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(isApiError(err, 409)).toBe(true);
    expect(isConflict(err)).toBe(true);
    expect(s.api.calls).toEqual([finalizerPatch([finalizer], '1')]);
    expect(s.backend.calls).toEqual([]);
    expect(s.recorder.events).toEqual([]);
    expect(s.stored().metadata.finalizers).toBeUndefined();
  });

  it('propagates a 409 the API server answers to the finalizer patch', async () => {
    const s = seededNote();
    s.api.failNext({ verb: 'PATCH', path }, { code: 409, reason: 'Conflict' });

    const err = await s.run().then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(isApiError(err, 409)).toBe(true);
    expect(s.api.calls).toHaveLength(1);
    expect(s.backend.calls).toEqual([]);
  });

  it('writes only its own conditions, without force: another writer’s condition stays its own', async () => {
    const s = await createdNote();
    const audited = {
      type: 'Audited',
      status: 'True' as const,
      reason: 'Reviewed',
      message: 'reviewed by the auditor',
      lastTransitionTime: t0,
    };
    const audit = (status: 'True' | 'False') =>
      s.client.patch(
        'ns',
        'a',
        'apply',
        {
          apiVersion: 'example.kcloud.io/v1alpha1',
          kind: 'Note',
          metadata: { name: 'a', namespace: 'ns' },
          status: { conditions: [{ ...audited, status }] },
        },
        { subresource: 'status', fieldManager: 'auditor' },
      );
    await audit('True');
    await s.client.patch('ns', 'a', 'merge', { spec: { text: 'changed' } });
    s.syncCache();
    s.clear();

    await s.run();

    expect(s.api.calls).toEqual([
      statusApply({
        path: '/notes/ns/a',
        size: 7,
        phase: 'Ready',
        conditions: readyConditions(2).map((c) =>
          c.type === 'Ready' ? c : { ...c, lastTransitionTime: t0 },
        ),
        observedGeneration: 2,
      }),
    ]);
    expect(s.stored().status?.conditions?.map((c) => c.type)).toEqual([
      'Ready',
      'Reconciling',
      'Stalled',
      'Audited',
    ]);
    // Still the auditor's alone: it changes it without a conflict.
    await audit('False');
    expect(s.stored().status?.conditions?.find((c) => c.type === 'Audited')?.status).toBe('False');
  });

  it('does not force over a status field another manager holds: a StatusConflict naming it', async () => {
    const s = await createdNote();
    await s.client.patch(
      'ns',
      'a',
      'apply',
      {
        apiVersion: 'example.kcloud.io/v1alpha1',
        kind: 'Note',
        metadata: { name: 'a', namespace: 'ns' },
        status: { size: 99 },
      },
      // As `kubectl apply --server-side --force-conflicts` takes a field.
      { subresource: 'status', fieldManager: 'kubectl-edit', force: true },
    );
    s.syncCache();
    s.clear();

    const err = await s.run().then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(ReconcileError);
    expect(err).toMatchObject({ reason: 'StatusConflict', managers: ['kubectl-edit'] });
    expect(s.stored().status?.size).toBe(99);
    expect(s.recorder.events).toEqual([
      {
        regarding: { kind: 'Note', namespace: 'ns', name: 'a' },
        type: 'Warning',
        reason: 'StatusConflict',
        action: 'WriteStatus',
        note: 'status fields .status.size are owned by field manager "kubectl-edit"; note-controller does not take them over: stop that writer or remove its fields',
      },
    ]);
  });

  it('reports a backend out of reach as Ready=Unknown and phase Unknown, requeued without error, with one event', async () => {
    const s = await createdNote();
    await s.clock.advance(60_000);
    s.backend.unreachable = {
      reason: 'HostHeartbeatLost',
      message: 'host h1 missed its heartbeats',
      requeueAfterMs: 30_000,
    };

    expect(await s.run()).toEqual({ requeueAfter: 30_000 });

    // Nothing written to the backend; product fields and observedGeneration as they were.
    expect(s.backend.calls).toEqual(['observe']);
    const lost = '2026-01-01T00:01:00Z';
    expect(s.api.calls).toEqual([
      statusApply({
        path: '/notes/ns/a',
        size: 5,
        phase: 'Unknown',
        conditions: [
          {
            type: 'Ready',
            status: 'Unknown',
            reason: 'HostHeartbeatLost',
            message: 'host h1 missed its heartbeats',
            observedGeneration: 1,
            lastTransitionTime: lost,
          },
          {
            type: 'Reconciling',
            status: 'True',
            reason: 'HostHeartbeatLost',
            message: 'host h1 missed its heartbeats',
            observedGeneration: 1,
            lastTransitionTime: lost,
          },
          {
            type: 'Stalled',
            status: 'False',
            reason: 'Retrying',
            message: 'the controller retries by itself',
            observedGeneration: 1,
            lastTransitionTime: t0,
          },
        ],
        observedGeneration: 1,
      }),
    ]);
    expect(s.recorder.events).toEqual([
      {
        regarding: { kind: 'Note', namespace: 'ns', name: 'a' },
        type: 'Warning',
        reason: 'HostHeartbeatLost',
        action: 'Observe',
        note: 'host h1 missed its heartbeats',
      },
    ]);

    // Still lost: looked at again, nothing written, no second event.
    s.syncCache();
    s.clear();
    await s.clock.advance(30_000);
    expect(await s.run()).toEqual({ requeueAfter: 30_000 });
    expect(s.api.calls).toEqual([]);
    expect(s.recorder.events).toEqual([]);

    // Back: Ready again, without a Warning.
    s.backend.unreachable = undefined;
    await s.clock.advance(30_000);
    expect(await s.run()).toBeUndefined();
    expect(s.stored().status).toMatchObject({ phase: 'Ready', observedGeneration: 1 });
    expect(s.stored().status?.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True' });
    expect(s.recorder.events).toEqual([]);
  });

  it('waits to delete a backend out of reach: finalizer kept, Ready=Unknown, requeued', async () => {
    const s = await createdNote();
    await startDeletion(s);
    s.backend.unreachable = {
      reason: 'HostHeartbeatLost',
      message: 'host h1 missed its heartbeats',
      requeueAfterMs: 0,
    };

    expect(await s.run()).toEqual({ requeueAfter: minInProgressRequeueMs });

    expect(s.backend.calls).toEqual(['observe']);
    expect(s.stored().metadata.finalizers).toEqual([finalizer]);
    expect(s.stored().status?.phase).toBe('Deleting');
    expect(s.stored().status?.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: 'Unknown',
      reason: 'HostHeartbeatLost',
    });
    expect(s.recorder.summary()).toEqual(['Warning HostHeartbeatLost']);
    expect(await s.deleteErrors({ controller: controllerName, reason: 'HostHeartbeatLost' })).toBe(
      0,
    );
  });
});
