// The Argo CD health check users install (charts/kcloud/files/argocd-health.lua, docs/gitops.md)
// run in a real Lua 5.1 interpreter on objects as the real API server and a real manager leave
// them: Healthy only for the current generation, Progressing while a change waits for a manager,
// Degraded on a failure; and on the kstatus conditions Reconciling and Stalled.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { addNoteController } from '../../../operators/example/index.ts';
import { productKinds } from '../../../operators/kinds.ts';
import {
  argocdHealthKey,
  argocdHealthPatch,
  readArgocdHealthScript,
} from '../../../hack/gitops/argocd-health.ts';
import {
  startManager,
  tempDir,
  useTestCluster,
  waitFor,
  type RunningManager,
} from '../../harness/index.ts';
import { evaluateHealth } from './argocd-lua.ts';

const cluster = useTestCluster('gitops-health');
const apiVersion = 'example.kcloud.io/v1alpha1';
const ref = (name: string) => ({ apiVersion, kind: 'Note', name });
const note = (name: string, spec: object) =>
  `apiVersion: ${apiVersion}\nkind: Note\nmetadata: {name: ${name}}\nspec: ${JSON.stringify(spec)}\n`;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}
interface Obj {
  metadata: { generation?: number; deletionTimestamp?: string };
  status?: { phase?: string; observedGeneration?: number; conditions?: Condition[] };
}

let script: string;
let notes: { dir: string; cleanup: () => Promise<void> };
let running: RunningManager | undefined;

const startNotes = async () => {
  running = await startManager(
    (mgr) => {
      addNoteController(mgr, { notesDir: notes.dir });
    },
    { namespace: cluster.namespace },
  );
};
const stopNotes = async () => {
  await running?.stop();
  running = undefined;
};

const health = (obj: unknown) => evaluateHealth(script, obj);
const read = async (name: string) => (await cluster.read(ref(name))) as unknown as Obj;

beforeAll(async () => {
  script = await readArgocdHealthScript();
  notes = await tempDir('gitops-notes');
});

afterAll(async () => {
  await stopNotes();
  await notes.cleanup();
});

describe('the Argo CD health check on objects from the real API server', () => {
  it('is Progressing while no operator has reported a status', async () => {
    await cluster.apply(note('first', { text: 'one' }));
    const obj = await read('first');
    expect(obj.status).toBeUndefined();
    expect(await health(obj)).toEqual({
      status: 'Progressing',
      message: 'waiting for the kcloud operator to report a status',
    });
  });

  it('is Healthy once Ready=True for the current generation', async () => {
    await startNotes();
    await cluster.waitForCondition(ref('first'), 'Ready');
    const obj = await read('first');
    expect(obj.status?.observedGeneration).toBe(obj.metadata.generation);
    expect(await health(obj)).toEqual({
      status: 'Healthy',
      message: 'Available: the backend resource matches the spec',
    });
  });

  it('is Degraded when the operator reports a failure for the current generation', async () => {
    await cluster.apply(note('second', { text: 'two', fileName: 'first' }));
    const obj = (await cluster.waitForCondition(ref('second'), 'Ready', 'False')) as unknown as Obj;
    const h = await health(obj);
    expect(h.status).toBe('Degraded');
    expect(h.message).toMatch(/^FileInUse: .*belongs to Note/);
  });

  it('is Progressing, not Healthy, when a change waits for a manager while Ready=True stays', async () => {
    await stopNotes();
    await cluster.apply(note('first', { text: 'one, changed' }));
    const obj = await read('first');
    // What `kubectl wait --for=condition=Ready` would accept: the old generation's Ready=True.
    expect(obj.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(obj.metadata.generation).toBe(2);
    expect(obj.status?.observedGeneration).toBe(1);
    expect(await health(obj)).toEqual({
      status: 'Progressing',
      message: 'generation 2 not reconciled yet (last reconciled: 1)',
    });

    await startNotes();
    await waitFor(async () => (await read('first')).status?.observedGeneration === 2, {
      what: 'generation 2 reconciled',
    });
    expect((await health(await read('first'))).status).toBe('Healthy');
  });

  it('is Progressing while the object is being deleted', async () => {
    const obj = await read('first');
    const deleting = { ...obj, metadata: { ...obj.metadata, deletionTimestamp: 'now' } };
    expect((await health(deleting)).status).toBe('Progressing');
  });
});

describe('the Argo CD health check on kstatus conditions and phases', () => {
  let ready: Obj;
  beforeAll(async () => {
    ready = await read('first');
  });
  const withStatus = (status: Partial<NonNullable<Obj['status']>>, extra: Condition[] = []) => {
    const base = ready.status ?? {};
    const conditions = [
      ...(status.conditions ?? base.conditions ?? []).filter(
        (c) => !extra.some((e) => e.type === c.type),
      ),
      ...extra,
    ];
    return { ...ready, status: { ...base, ...status, conditions } };
  };
  const gen = () => ready.metadata.generation ?? 0;

  it('is Degraded on Stalled=True for the current generation, even beside Ready=True', async () => {
    const h = await health(
      withStatus({}, [
        {
          type: 'Stalled',
          status: 'True',
          reason: 'FileInUse',
          message: 'choose another fileName',
          observedGeneration: gen(),
        },
      ]),
    );
    expect(h).toEqual({ status: 'Degraded', message: 'FileInUse: choose another fileName' });
  });

  it('ignores Stalled=True written for an older generation', async () => {
    const h = await health(
      withStatus({}, [
        { type: 'Stalled', status: 'True', reason: 'Old', observedGeneration: gen() - 1 },
      ]),
    );
    expect(h.status).toBe('Healthy');
  });

  it('is Progressing on Reconciling=True, even with Ready=False', async () => {
    const h = await health(
      withStatus({ observedGeneration: gen() - 1 }, [
        { type: 'Ready', status: 'False', reason: 'Creating', observedGeneration: gen() },
        {
          type: 'Reconciling',
          status: 'True',
          reason: 'Creating',
          message: 'writing to OVN',
          observedGeneration: gen(),
        },
      ]),
    );
    expect(h).toEqual({ status: 'Progressing', message: 'Creating: writing to OVN' });
  });

  it('is Healthy with Reconciling=False and Stalled=False beside Ready=True', async () => {
    const h = await health(
      withStatus({}, [
        { type: 'Reconciling', status: 'False', observedGeneration: gen() },
        { type: 'Stalled', status: 'False', observedGeneration: gen() },
      ]),
    );
    expect(h.status).toBe('Healthy');
  });

  it('is Progressing in phase Pending or Provisioning', async () => {
    for (const phase of ['Pending', 'Provisioning']) {
      const h = await health(
        withStatus({ phase }, [
          {
            type: 'Ready',
            status: 'False',
            reason: 'Booting',
            message: 'the guest is starting',
            observedGeneration: gen(),
          },
        ]),
      );
      expect(h).toEqual({
        status: 'Progressing',
        message: `${phase}: Booting: the guest is starting`,
      });
    }
  });

  it('is Progressing when Ready=False belongs to an older generation', async () => {
    const h = await health(
      withStatus({ observedGeneration: gen() - 1 }, [
        { type: 'Ready', status: 'False', reason: 'FileInUse', observedGeneration: gen() - 1 },
      ]),
    );
    expect(h.status).toBe('Progressing');
  });
});

describe('the interpreter runs the script as Argo CD does', () => {
  it('has no string library, as Argo CD opens none', async () => {
    await expect(
      evaluateHealth('return { status = ("healthy"):upper() }', { metadata: {} }),
    ).rejects.toThrow(/attempt to index/);
    await expect(
      evaluateHealth('return { status = string.upper("healthy") }', { metadata: {} }),
    ).rejects.toThrow(/string/);
  });
});

describe('the argocd-cm patch', () => {
  it('gives every kcloud kind the health check, and the API server takes it as a merge patch', async () => {
    const patch = argocdHealthPatch(productKinds, script);
    const data = (parse(patch) as { data: Record<string, string> }).data;
    expect(Object.keys(data).sort()).toEqual(productKinds.map(argocdHealthKey).sort());
    for (const value of Object.values(data)) expect(value).toBe(script);

    await cluster.apply(
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-cm}\ndata: {url: https://argocd.example}\n`,
    );
    const patched = await cluster.kubectl([
      'patch',
      'configmap',
      'argocd-cm',
      '-n',
      cluster.namespace,
      '--type',
      'merge',
      '--patch',
      patch,
      '-o',
      'json',
    ]);
    expect(patched.code).toBe(0);
    const cm = JSON.parse(patched.stdout) as { data: Record<string, string> };
    expect(cm.data.url).toBe('https://argocd.example');
    for (const kind of productKinds) expect(cm.data[argocdHealthKey(kind)]).toBe(script);
  });
});
