// A backend out of reach (its host's heartbeat lost), on the real API server: through a real
// Manager the object shows Ready=Unknown with the backend's reason, phase Unknown (a value the
// CRD accepts), Reconciling=True and its observedGeneration kept; it is looked at again after
// the backend's delay with no reconcile error, and one Warning event is recorded for the
// transition, not one per retry. Once the backend is back it turns Ready again.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { managedReconciler, type Recorder } from '../../../controllers/external/index.ts';
import type { KubeObject } from '../../../controllers/kube/index.ts';
import { Controller } from '../../../controllers/reconcile/index.ts';
import { kstatusOf } from '../../../controllers/testing/index.ts';
import {
  noteResource,
  type NoteObject,
  type NoteStatus,
} from '../../../operators/example/index.ts';
import { startManager, useTestCluster, waitFor, type RunningManager } from '../../harness/index.ts';
import { SwitchBackend, type Stored } from './switch-backend.ts';

const cluster = useTestCluster('rt-unreachable');
const apiVersion = 'example.kcloud.io/v1alpha1';
const ref = (name: string) => ({ apiVersion, kind: 'Note', name });
const controllerName = 'lost-host-controller';

const backend = new SwitchBackend();
/** Every event the reconcile records, before the recorder aggregates repeats into a series. */
const recorded: string[] = [];
let running: RunningManager;

beforeAll(async () => {
  running = await startManager(
    (mgr) => {
      const informer = mgr.informer<NoteObject>(noteResource);
      const events: Recorder = mgr.recorder(controllerName);
      const recorder: Recorder = {
        event: (regarding, type, reason, action, note) => {
          recorded.push(`${type} ${reason}`);
          events.event(regarding, type, reason, action, note);
        },
      };
      mgr.add(
        new Controller<NoteObject>({
          name: controllerName,
          informer,
          workers: 1,
          registry: mgr.registry,
          log: mgr.log,
          reconcile: managedReconciler<NoteObject, NoteStatus, Stored>({
            controllerName,
            finalizer: 'example.kcloud.io/lost',
            client: mgr.client<NoteObject>(noteResource),
            cache: informer.cache,
            external: () => backend,
            status: (_note, o) => ({ size: o.observed?.text.length }),
            recorder,
            registry: mgr.registry,
          }),
        }),
      );
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

describe('a backend out of reach, through a real Manager', () => {
  it('shows Ready=Unknown and phase Unknown, retries quietly, and turns Ready when it is back', async () => {
    await cluster.apply(
      `apiVersion: ${apiVersion}\nkind: Note\nmetadata: {name: lost}\nspec: {text: hello}\n`,
    );
    await cluster.waitForCondition(ref('lost'), 'Ready', 'True');

    backend.lost = {
      reason: 'HostHeartbeatLost',
      message: 'host h1 missed its heartbeats',
      requeueAfterMs: 200,
    };
    // A spec change the backend cannot take while it is away.
    await cluster.apply(
      `apiVersion: ${apiVersion}\nkind: Note\nmetadata: {name: lost}\nspec: {text: changed}\n`,
    );
    const unknown = await cluster.waitForCondition(ref('lost'), 'Ready', 'Unknown');
    const condition = (type: string) => unknown.status?.conditions?.find((c) => c.type === type);
    expect(unknown.status).toMatchObject({ phase: 'Unknown', observedGeneration: 1, size: 5 });
    expect(condition('Ready')).toMatchObject({
      status: 'Unknown',
      reason: 'HostHeartbeatLost',
      message: 'host h1 missed its heartbeats',
      observedGeneration: 2,
    });
    expect(condition('Reconciling')).toMatchObject({ status: 'True', reason: 'HostHeartbeatLost' });
    expect(condition('Stalled')).toMatchObject({ status: 'False' });
    expect(kstatusOf(unknown as unknown as KubeObject)).toBe('InProgress');

    // Looked at again by itself, several times: no error, no write, one event.
    const seen = backend.calls.length;
    await waitFor(() => backend.calls.length >= seen + 5, {
      timeoutMs: 30_000,
      what: 'the backend to be observed again after the delay',
    });
    expect(backend.calls.filter((c) => c !== 'observe')).toEqual(['create']);
    expect(await reconcileErrors()).toBe(0);
    expect(recorded.filter((e) => e.startsWith('Warning'))).toEqual(['Warning HostHeartbeatLost']);
    const events = await waitFor(
      async () => {
        const found = (await cluster.eventsFor('lost', 'Note')).filter(
          (e) => e.reason === 'HostHeartbeatLost',
        );
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 30_000, what: 'the HostHeartbeatLost event' },
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'Warning', note: 'host h1 missed its heartbeats' });
    expect(events[0]?.series).toBeUndefined();

    backend.lost = undefined;
    const ready = await cluster.waitForCondition(ref('lost'), 'Ready', 'True');
    expect(ready.status).toMatchObject({ phase: 'Ready', observedGeneration: 2, size: 7 });
    expect(backend.calls.filter((c) => c !== 'observe')).toEqual(['create', 'update']);
    expect(recorded.filter((e) => e.startsWith('Warning'))).toEqual(['Warning HostHeartbeatLost']);
    expect(await reconcileErrors()).toBe(0);
  });
});
