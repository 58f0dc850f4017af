// Two writers of one status on the real API server, as the manager and a host agent share an
// object: the scheduler (summarizing writer, field manager note-scheduler) owns Scheduled and
// sums up Ready; the agent (contributing writer, note-agent) owns Provisioned and the product
// fields path and size. Each applies its own part without force: each keeps the other's
// condition, Ready follows the agent's changes (the agent's status-only writes wake the
// scheduler), and a third party's fields are neither removed nor forced over — a field the
// third party took is a StatusConflict naming it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ReconcileError } from '../../../controllers/external/index.ts';
import type { ObjectClient } from '../../../controllers/kube/index.ts';
import type { Condition } from '../../../controllers/reconcile/index.ts';
import { addManagedController } from '../../../controllers/wiring/index.ts';
import {
  noteResource,
  type NoteObject,
  type NoteStatus,
} from '../../../operators/example/index.ts';
import { startManager, useTestCluster, waitFor, type RunningManager } from '../../harness/index.ts';
import { SwitchBackend, type Stored } from './switch-backend.ts';

const cluster = useTestCluster('rt-writers');
const apiVersion = 'example.kcloud.io/v1alpha1';
const ref = (name: string) => ({ apiVersion, kind: 'Note', name });
const scheduler = 'note-scheduler';
const agent = 'note-agent';

const placements = new SwitchBackend();
const host = new SwitchBackend();
let running: RunningManager;
let notes: ObjectClient<NoteObject>;

beforeAll(async () => {
  running = await startManager(
    (mgr) => {
      const informer = mgr.informer<NoteObject>(noteResource);
      addManagedController<NoteObject, NoteStatus, Stored>(mgr, {
        name: scheduler,
        resource: noteResource,
        informer,
        workers: 1,
        reconciler: {
          finalizer: 'example.kcloud.io/scheduler',
          external: () => placements,
          status: () => ({}),
          statusFields: [],
          role: {
            kind: 'summarizer',
            condition: 'Scheduled',
            contributors: ['Provisioned'],
            stalled: (c) => c.reason === 'TextRefused',
          },
        },
      });
      addManagedController<NoteObject, NoteStatus, Stored>(mgr, {
        name: agent,
        resource: noteResource,
        informer,
        workers: 1,
        reconciler: {
          finalizer: 'example.kcloud.io/agent',
          external: () => host,
          status: (_note, o) => ({
            path: `/host/${o.observed?.text ?? ''}`,
            size: o.observed?.text.length,
          }),
          statusFields: ['path', 'size'],
          role: { kind: 'contributor', condition: 'Provisioned' },
        },
      });
      notes = mgr.client<NoteObject>(noteResource);
    },
    { namespace: cluster.namespace },
  );
});

afterAll(async () => {
  await running.stop();
});

type Read = KubernetesObject & {
  metadata: { generation?: number };
  status?: NoteStatus & { conditions?: Condition[] };
};

async function read(name: string): Promise<Read> {
  return (await cluster.read(ref(name))) as unknown as Read;
}

const summary = (obj: Read) =>
  (obj.status?.conditions ?? [])
    .map((c) => `${c.type}=${c.status} ${c.reason} @${String(c.observedGeneration)}`)
    .sort();

/** The status fields each field manager owns, as managedFields says (paths of fieldsV1). */
function owners(obj: KubernetesObject): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const entry of obj.metadata?.managedFields ?? []) {
    if (entry.subresource !== 'status' || !entry.manager) continue;
    const status = (entry.fieldsV1 as Record<string, Record<string, unknown>> | undefined)?.[
      'f:status'
    ];
    const fields: string[] = [];
    for (const [key, value] of Object.entries(status ?? {})) {
      if (key === 'f:conditions') {
        for (const item of Object.keys(value as object)) {
          const type = /^k:\{"type":"(.*)"\}$/.exec(item)?.[1];
          if (type) fields.push(`conditions[${type}]`);
        }
      } else if (key !== '.') fields.push(key.replace(/^f:/, ''));
    }
    out[entry.manager] = [...(out[entry.manager] ?? []), ...fields].sort();
  }
  return out;
}

async function waitForStatus(
  name: string,
  want: (obj: Read) => boolean,
  what: string,
): Promise<Read> {
  let last: Read | undefined;
  return waitFor(
    async () => {
      last = await read(name);
      return want(last) ? last : undefined;
    },
    {
      timeoutMs: 60_000,
      what,
      describe: () =>
        JSON.stringify({ generation: last?.metadata.generation, status: last?.status }),
    },
  );
}

function applyStatusAs(
  manager: string,
  name: string,
  status: Record<string, unknown>,
  force = false,
): Promise<NoteObject> {
  return notes.patch(
    cluster.namespace,
    name,
    'apply',
    { apiVersion, kind: 'Note', metadata: { name, namespace: cluster.namespace }, status },
    { subresource: 'status', fieldManager: manager, force },
  );
}

describe('two writers of one status, on the real API server', () => {
  it('keeps each writer’s part its own, and Ready sums up the agent’s changes', async () => {
    host.busy = { reason: 'Copying', message: 'the copy runs', requeueAfterMs: 200 };
    await cluster.apply(
      `apiVersion: ${apiVersion}\nkind: Note\nmetadata: {name: two}\nspec: {text: hello}\n`,
    );
    // The agent at work: Ready says so, from the agent's own condition.
    const copying = await waitForStatus(
      'two',
      (o) => summary(o).includes('Ready=False Copying @1'),
      'Ready to follow the agent’s Copying',
    );
    expect(summary(copying)).toEqual([
      'Provisioned=False Copying @1',
      'Ready=False Copying @1',
      'Reconciling=True Copying @1',
      'Scheduled=True Scheduled @1',
      'Stalled=False Retrying @1',
    ]);
    expect(copying.status?.phase).toBe('Provisioning');
    expect(copying.status?.observedGeneration).toBeUndefined();

    // Done: the agent's status-only write wakes the scheduler, which turns Ready.
    host.busy = undefined;
    const ready = await waitForStatus(
      'two',
      (o) => o.status?.observedGeneration === 1 && summary(o).includes('Ready=True Available @1'),
      'Ready=True for generation 1',
    );
    expect(summary(ready)).toEqual([
      'Provisioned=True Provisioned @1',
      'Ready=True Available @1',
      'Reconciling=False Succeeded @1',
      'Scheduled=True Scheduled @1',
      'Stalled=False Succeeded @1',
    ]);
    expect(ready.status).toMatchObject({ phase: 'Ready', path: '/host/hello', size: 5 });
    expect(owners(ready)).toEqual({
      [agent]: ['conditions[Provisioned]', 'path', 'size'],
      [scheduler]: [
        'conditions[Ready]',
        'conditions[Reconciling]',
        'conditions[Scheduled]',
        'conditions[Stalled]',
        'observedGeneration',
        'phase',
      ],
    });

    // The agent refuses the next text and waits for an edit: Ready says Stalled, the
    // generation is concluded.
    const refusing = new ReconcileError('TextRefused', 'the host refuses this text', {
      retry: false,
    });
    const observe = host.observe.bind(host);
    host.observe = (note) =>
      note.spec.text === 'refused' ? Promise.reject(refusing) : observe(note);
    await notes.patch(cluster.namespace, 'two', 'merge', { spec: { text: 'refused' } });
    const stalled = await waitForStatus(
      'two',
      (o) => summary(o).includes('Stalled=True TextRefused @2'),
      'Stalled from the agent’s refusal',
    );
    expect(summary(stalled)).toEqual([
      'Provisioned=False TextRefused @2',
      'Ready=False TextRefused @2',
      'Reconciling=False Stalled @2',
      'Scheduled=True Scheduled @2',
      'Stalled=True TextRefused @2',
    ]);
    expect(stalled.status).toMatchObject({ phase: 'Failed', observedGeneration: 2 });
    host.observe = observe;
  });

  it('leaves a third party’s condition alone, and does not force over a field it took', async () => {
    await notes.patch(cluster.namespace, 'two', 'merge', { spec: { text: 'again' } });
    await waitForStatus(
      'two',
      (o) => o.status?.observedGeneration === 3 && summary(o).includes('Ready=True Available @3'),
      'Ready=True for generation 3',
    );
    const audited: Condition = {
      type: 'Audited',
      status: 'True',
      reason: 'Reviewed',
      message: 'reviewed by the auditor',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    };
    await applyStatusAs('auditor', 'two', { conditions: [audited] });

    // Both writers write again; the auditor's condition stays, owned by it alone.
    await notes.patch(cluster.namespace, 'two', 'merge', { spec: { text: 'audited' } });
    const after = await waitForStatus(
      'two',
      (o) => o.status?.observedGeneration === 4 && summary(o).includes('Ready=True Available @4'),
      'Ready=True for generation 4',
    );
    expect(summary(after)).toContain('Audited=True Reviewed @undefined');
    expect(owners(after).auditor).toEqual(['conditions[Audited]']);
    // The auditor changes it without a conflict: nobody took it over.
    await applyStatusAs('auditor', 'two', { conditions: [{ ...audited, status: 'False' }] });

    // The auditor takes a field of the agent's (as --force-conflicts would): the agent's next
    // write does not take it back; it reports the conflict, naming the auditor.
    await applyStatusAs(
      'auditor',
      'two',
      { size: 999, conditions: [{ ...audited, status: 'False' }] },
      true,
    );
    await notes.patch(cluster.namespace, 'two', 'merge', { spec: { text: 'conflict' } });
    const events = await waitFor(
      async () => {
        const found = (await cluster.eventsFor('two', 'Note')).filter(
          (e) => e.reason === 'StatusConflict',
        );
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 60_000, what: 'a StatusConflict event from the agent' },
    );
    expect(events[0]).toMatchObject({
      type: 'Warning',
      reportingController: `kcloud.io/${agent}`,
    });
    expect(events[0]?.note).toContain('field manager "auditor"');
    expect(events[0]?.note).toContain('.status.size');
    // Without the agent's word on generation 5, Ready waits for it; the size stays the auditor's.
    const held = await waitForStatus(
      'two',
      (o) => summary(o).includes('Ready=False WaitingForProvisioned @5'),
      'Ready waiting for the agent on generation 5',
    );
    expect(held.status?.size).toBe(999);
    expect(owners(held).auditor).toEqual(['conditions[Audited]', 'size']);
  });
});
