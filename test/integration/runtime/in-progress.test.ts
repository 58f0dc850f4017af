// Work in progress is not failure, on the real API server: a backend that is still converging
// (here a copy that finishes when the test says so) reports it from observe. Through a real
// Manager the object shows phase Provisioning, Ready=False with the backend's reason,
// Reconciling=True, Stalled=False and no observedGeneration, so kstatus reads InProgress; it is
// looked at again after the backend's delay with no error, no Warning event and no second
// write; once the backend is done it turns Ready for its generation.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  managedReconciler,
  type ExternalClient,
  type Observation,
} from '../../../controllers/external/index.ts';
import type { KubeObject } from '../../../controllers/kube/index.ts';
import { Controller } from '../../../controllers/reconcile/index.ts';
import { kstatusOf } from '../../../controllers/testing/index.ts';
import {
  noteResource,
  type NoteObject,
  type NoteStatus,
} from '../../../operators/example/index.ts';
import { startManager, useTestCluster, waitFor, type RunningManager } from '../../harness/index.ts';

const cluster = useTestCluster('rt-progress');
const apiVersion = 'example.kcloud.io/v1alpha1';
const ref = (name: string) => ({ apiVersion, kind: 'Note', name });
const controllerName = 'copy-controller';
const requeueAfterMs = 200;

interface Copy {
  text: string;
  done: boolean;
}

/** A backend whose writes take a while: a copy runs until `finish` is called. */
class CopyBackend implements ExternalClient<NoteObject, Copy> {
  readonly copies = new Map<string, Copy>();
  readonly calls: string[] = [];

  finish(name: string): void {
    const copy = this.copies.get(name);
    if (!copy) throw new Error(`no copy for ${name}`);
    copy.done = true;
  }

  observe(note: NoteObject): Promise<Observation<Copy>> {
    this.calls.push('observe');
    const copy = this.copies.get(note.metadata.name ?? '');
    if (!copy) return Promise.resolve({ exists: false, upToDate: false });
    return Promise.resolve({
      exists: true,
      upToDate: copy.text === note.spec.text,
      observed: copy,
      ...(copy.done
        ? {}
        : { inProgress: { reason: 'Copying', message: 'the copy runs', requeueAfterMs } }),
    });
  }

  create(note: NoteObject): Promise<void> {
    this.calls.push('create');
    this.copies.set(note.metadata.name ?? '', { text: note.spec.text, done: false });
    return Promise.resolve();
  }

  update(note: NoteObject): Promise<void> {
    this.calls.push('update');
    this.copies.set(note.metadata.name ?? '', { text: note.spec.text, done: false });
    return Promise.resolve();
  }

  delete(note: NoteObject): Promise<void> {
    this.calls.push('delete');
    this.copies.delete(note.metadata.name ?? '');
    return Promise.resolve();
  }
}

const backend = new CopyBackend();
let running: RunningManager;
let controller: Controller<NoteObject>;

beforeAll(async () => {
  running = await startManager(
    (mgr) => {
      const informer = mgr.informer<NoteObject>(noteResource);
      controller = new Controller<NoteObject>({
        name: controllerName,
        informer,
        workers: 1,
        registry: mgr.registry,
        log: mgr.log,
        reconcile: managedReconciler<NoteObject, NoteStatus, Copy>({
          controllerName,
          finalizer: 'example.kcloud.io/copy',
          client: mgr.client<NoteObject>(noteResource),
          cache: informer.cache,
          external: () => backend,
          status: (_note, o) => ({ size: o.observed?.text.length }),
          recorder: mgr.recorder(controllerName),
          registry: mgr.registry,
        }),
      });
      mgr.add(controller);
    },
    { namespace: cluster.namespace },
  );
});

afterAll(async () => {
  await running.stop();
});

async function reconcileErrors(): Promise<number> {
  const m = await running.mgr.registry
    .getSingleMetric('controller_runtime_reconcile_errors_total')
    ?.get();
  return m?.values.find((v) => v.labels.controller === controllerName)?.value ?? 0;
}

describe('a backend still at work, through a real Manager', () => {
  it('shows Provisioning and requeues without error, then turns Ready when the work is done', async () => {
    await cluster.apply(
      `apiVersion: ${apiVersion}\nkind: Note\nmetadata: {name: copy}\nspec: {text: hello}\n`,
    );
    const provisioning = await cluster.waitForCondition(ref('copy'), 'Reconciling', 'True');
    const conditions = (type: string) =>
      provisioning.status?.conditions?.find((c) => c.type === type);
    expect(provisioning.status?.phase).toBe('Provisioning');
    expect(provisioning.status?.observedGeneration).toBeUndefined();
    expect(conditions('Ready')).toMatchObject({
      status: 'False',
      reason: 'Copying',
      message: 'the copy runs',
      observedGeneration: 1,
    });
    expect(conditions('Reconciling')).toMatchObject({ status: 'True', reason: 'Copying' });
    expect(conditions('Stalled')).toMatchObject({ status: 'False' });
    expect(kstatusOf(provisioning as unknown as KubeObject)).toBe('InProgress');

    // Looked at again by itself (no object change drives it), and never written twice.
    const seen = backend.calls.length;
    await waitFor(() => backend.calls.length >= seen + 3, {
      timeoutMs: 30_000,
      what: 'the backend to be observed again after the requeue delay',
    });
    expect(backend.calls.filter((c) => c !== 'observe')).toEqual(['create']);
    expect(await reconcileErrors()).toBe(0);
    const events = await cluster.eventsFor('copy', 'Note');
    expect(events.filter((e) => e.type === 'Warning').map((e) => e.reason)).toEqual([]);

    backend.finish('copy');
    const ready = await cluster.waitForCondition(ref('copy'), 'Ready', 'True');
    expect(ready.status).toMatchObject({ phase: 'Ready', observedGeneration: 1, size: 5 });
    expect(kstatusOf(ready as unknown as KubeObject)).toBe('Current');
    expect(await reconcileErrors()).toBe(0);
    expect(backend.calls.filter((c) => c !== 'observe')).toEqual(['create']);
  });
});
