// The Note fixture of the shared reconcile's unit tests: a recording API, a recording
// recorder and an in-memory backend, and the status a reconcile writes.
import { Registry } from 'prom-client';
import winston from 'winston';
import { FakeClock } from '../clock/index.ts';
import { Cache } from '../informer/index.ts';
import { ObjectClient, type ResourceRef } from '../kube/index.ts';
import type { Condition, ReconcileContext, Result } from '../reconcile/index.ts';
import { RecordingApi, RecordingRecorder } from '../testing/index.ts';
import type { ExternalClient, InProgress, Observation, Unreachable } from './external-client.ts';
import {
  managedReconciler,
  type ManagedObject,
  type ManagedReconcilerOptions,
  type ManagedStatus,
} from './managed-reconciler.ts';

export interface NoteStatus extends ManagedStatus {
  path?: string;
  size?: number;
}

export interface Note extends ManagedObject<NoteStatus> {
  spec: { text: string; deletionPolicy?: 'Delete' | 'Retain' };
}

export interface NoteFile {
  path: string;
  size: number;
}

type BackendOp = 'observe' | 'create' | 'update' | 'delete';

/**
 * A backend that keeps one text per object in memory and records its calls. `failNext` makes
 * one operation throw; `deleteDoesNotRemove` models a backend that deletes asynchronously.
 */
export class FakeBackend implements ExternalClient<Note, NoteFile> {
  readonly calls: string[] = [];
  readonly texts = new Map<string, string>();
  readonly failNext = new Map<BackendOp, Error>();
  deleteDoesNotRemove = false;
  /** How many of the next writes another writer undoes at once (a hand edit, a race). */
  undoneWrites = 0;
  /** Set: the backend is still at work (a copy, a boot) and observe says so. */
  inProgress: InProgress | undefined;
  /** Set: a write starts work the backend finishes later (a copy, a boot). */
  writesStart: InProgress | undefined;
  /** Set: the backend cannot be reached (its host is lost) and observe says so. */
  unreachable: Unreachable | undefined;

  private write(key: string, text: string): void {
    this.inProgress ??= this.writesStart;
    this.texts.set(key, this.undoneWrites > 0 ? 'written over by someone else' : text);
    if (this.undoneWrites > 0) this.undoneWrites--;
  }

  private call(op: BackendOp, obj: Note): string {
    this.calls.push(op);
    const err = this.failNext.get(op);
    if (err) {
      this.failNext.delete(op);
      throw err;
    }
    return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
  }

  observe(obj: Note): Promise<Observation<NoteFile>> {
    const key = this.call('observe', obj);
    const text = this.texts.get(key);
    const inProgress = {
      ...(this.inProgress ? { inProgress: this.inProgress } : {}),
      ...(this.unreachable ? { unreachable: this.unreachable } : {}),
    };
    if (text === undefined)
      return Promise.resolve({ exists: false, upToDate: false, ...inProgress });
    return Promise.resolve({
      exists: true,
      upToDate: text === obj.spec.text,
      observed: { path: `/notes/${key}`, size: text.length },
      ...inProgress,
    });
  }

  create(obj: Note): Promise<void> {
    this.write(this.call('create', obj), obj.spec.text);
    return Promise.resolve();
  }

  update(obj: Note): Promise<void> {
    this.write(this.call('update', obj), obj.spec.text);
    return Promise.resolve();
  }

  delete(obj: Note): Promise<void> {
    const key = this.call('delete', obj);
    if (!this.deleteDoesNotRemove) this.texts.delete(key);
    return Promise.resolve();
  }
}

export const ref: ResourceRef = {
  group: 'example.kcloud.io',
  version: 'v1alpha1',
  plural: 'notes',
  namespaced: true,
  kind: 'Note',
};
export const path = '/apis/example.kcloud.io/v1alpha1/namespaces/ns/notes/a';
export const finalizer = 'example.kcloud.io/cleanup';
export const controllerName = 'note-controller';
export const t0 = '2026-01-01T00:00:00Z';
export const readyMessage = 'the backend resource matches the spec';
export const succeeded = 'the last reconcile succeeded';

/** Ready, Reconciling, Stalled after a reconcile that ended Ready. */
export function readyConditions(generation: number, at = t0, readySince = at): Condition[] {
  return [
    {
      type: 'Ready',
      status: 'True',
      reason: 'Available',
      message: readyMessage,
      observedGeneration: generation,
      lastTransitionTime: readySince,
    },
    {
      type: 'Reconciling',
      status: 'False',
      reason: 'Succeeded',
      message: succeeded,
      observedGeneration: generation,
      lastTransitionTime: at,
    },
    {
      type: 'Stalled',
      status: 'False',
      reason: 'Succeeded',
      message: succeeded,
      observedGeneration: generation,
      lastTransitionTime: at,
    },
  ];
}

/** Ready=False and Reconciling=True: a failure the controller retries by itself. */
export function retryingConditions(
  generation: number,
  reason: string,
  message: string,
  at: string,
  quietSince = at,
): Condition[] {
  return [
    {
      type: 'Ready',
      status: 'False',
      reason,
      message,
      observedGeneration: generation,
      lastTransitionTime: at,
    },
    {
      type: 'Reconciling',
      status: 'True',
      reason,
      message,
      observedGeneration: generation,
      lastTransitionTime: at,
    },
    {
      type: 'Stalled',
      status: 'False',
      reason: 'Retrying',
      message: 'the controller retries by itself',
      observedGeneration: generation,
      lastTransitionTime: quietSince,
    },
  ];
}

export function setup(
  overrides: Partial<ManagedReconcilerOptions<Note, NoteStatus, NoteFile>> = {},
) {
  const clock = new FakeClock(Date.parse(t0));
  const registry = new Registry();
  const api = new RecordingApi({ clock });
  const client = new ObjectClient<Note>(api, ref);
  const cache = new Cache<Note>();
  const backend = new FakeBackend();
  const recorder = new RecordingRecorder();
  const ctx: ReconcileContext = {
    log: winston.createLogger({ silent: true }),
    reconcileID: 'test',
    signal: new AbortController().signal,
  };
  /**
   * A reconcile of ns/a on the shared API, cache, clock and recorder: the one under test, or
   * another writer of the same object with its own options and backend.
   */
  const writer = (
    options: Partial<ManagedReconcilerOptions<Note, NoteStatus, NoteFile>>,
    of: FakeBackend = backend,
  ): (() => Promise<Result | undefined>) => {
    const reconcile = managedReconciler<Note, NoteStatus, NoteFile>({
      controllerName,
      finalizer,
      client,
      cache,
      external: () => of,
      status: (_obj, observation) => ({
        path: observation.observed?.path,
        size: observation.observed?.size,
      }),
      deletionPolicy: (obj) => obj.spec.deletionPolicy ?? 'Delete',
      recorder,
      clock,
      registry,
      ...options,
    });
    return () => reconcile({ key: 'ns/a', namespace: 'ns', name: 'a' }, ctx);
  };
  const run = writer(overrides);
  /** What the informer would do: the cache takes the stored object. */
  const syncCache = () => {
    const stored = api.peek(client, 'ns', 'a');
    if (stored) cache.upsert(stored);
    else cache.remove('ns/a');
  };
  /** Forget what was recorded so far: the next assertions see one reconcile. */
  const clear = () => {
    api.clearCalls();
    recorder.clear();
    backend.calls.length = 0;
  };
  const stored = () => {
    const obj = api.peek(client, 'ns', 'a');
    if (!obj) throw new Error('ns/a is not stored');
    return obj;
  };
  const deleteErrors = async (labels: Record<string, string>): Promise<number> => {
    const metric = registry.getSingleMetric('kcloud_backend_delete_errors_total');
    if (!metric) throw new Error('kcloud_backend_delete_errors_total is not registered');
    const { values } = await metric.get();
    return (
      values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0
    );
  };
  return {
    clock,
    api,
    client,
    cache,
    backend,
    recorder,
    registry,
    ctx,
    run,
    writer,
    syncCache,
    clear,
    stored,
    deleteErrors,
  };
}

export type Setup = ReturnType<typeof setup>;

/** A new Note in the store and the cache, not reconciled yet. */
export function seededNote(
  spec: Note['spec'] = { text: 'hello' },
  overrides: Partial<ManagedReconcilerOptions<Note, NoteStatus, NoteFile>> = {},
  finalizers?: string[],
): Setup {
  const s = setup(overrides);
  s.api.seed(s.client, {
    apiVersion: 'example.kcloud.io/v1alpha1',
    kind: 'Note',
    metadata: { namespace: 'ns', name: 'a', ...(finalizers ? { finalizers } : {}) },
    spec,
  });
  s.syncCache();
  return s;
}

/** A new Note in the store and the cache, reconciled once, and the records cleared. */
export async function createdNote(
  spec: Note['spec'] = { text: 'hello' },
  overrides: Partial<ManagedReconcilerOptions<Note, NoteStatus, NoteFile>> = {},
): Promise<Setup> {
  const s = seededNote(spec, overrides);
  await s.run();
  s.syncCache();
  s.clear();
  return s;
}

/** The status apply a reconcile sends. */
export function statusApply(status: NoteStatus, fieldManager = controllerName) {
  return {
    verb: 'PATCH',
    path: `${path}/status`,
    query: { fieldManager, force: 'false' },
    contentType: 'application/apply-patch+yaml',
    body: {
      apiVersion: 'example.kcloud.io/v1alpha1',
      kind: 'Note',
      metadata: { name: 'a', namespace: 'ns' },
      status,
    },
  };
}

export function finalizerPatch(finalizers: string[], resourceVersion: string) {
  return {
    verb: 'PATCH',
    path,
    contentType: 'application/merge-patch+json',
    body: { metadata: { finalizers, resourceVersion } },
  };
}

/** Deletes the stored Note (it keeps our finalizer) and lets the cache see it. */
export async function startDeletion(s: Setup): Promise<void> {
  await s.client.delete('ns', 'a');
  s.syncCache();
  s.clear();
}
