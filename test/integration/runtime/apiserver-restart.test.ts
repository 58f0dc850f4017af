// Nothing is lost when the API server or the manager goes away. On a control plane of its own
// (stopping the shared one would disturb other tests): the API server is stopped and started
// again, the informer's watch reconnects from its last resourceVersion and the controller sees
// the changes made right after the restart; then the manager itself is stopped, objects are
// changed, deleted and created meanwhile, and a new manager converges on all of it.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  down,
  repoRoot,
  runLayout,
  startComponent,
  stopComponent,
  up,
  type RunLayout,
} from '../../../hack/cluster/index.ts';
import { Note } from '../../../operators/example/api/index.ts';
import { addNoteController, type NoteObject } from '../../../operators/example/index.ts';
import type { Informer } from '../../../controllers/index.ts';
import {
  applyCrds,
  startManager,
  TestCluster,
  waitFor,
  type RunningManager,
} from '../../harness/index.ts';

const apiVersion = 'example.kcloud.io/v1alpha1';
let layout: RunLayout;
let cluster: TestCluster;
let notesDir = '';
let running: RunningManager | undefined;
let informer: Informer<NoteObject>;

function note(name: string, text: string): string {
  return `apiVersion: ${apiVersion}
kind: Note
metadata: {name: ${name}}
spec: {text: ${JSON.stringify(text)}}
`;
}

const fileOf = (name: string) => path.join(notesDir, cluster.namespace, name);

async function fileSays(name: string, text: string): Promise<void> {
  await waitFor(
    async () => existsSync(fileOf(name)) && (await readFile(fileOf(name), 'utf8')) === text,
    {
      timeoutMs: 60_000,
      what: `${name} to contain "${text}"`,
    },
  );
}

async function startNoteManager(): Promise<RunningManager> {
  return startManager(
    (mgr) => {
      // No resync: whatever converges here converges through the watch alone.
      addNoteController(mgr, { notesDir, resyncPeriodMs: 0 });
      informer = mgr.informer<NoteObject>({ ...Note.resource, kind: 'Note' });
    },
    { kubeconfigPath: layout.kubeconfig, namespace: cluster.namespace },
  );
}

beforeAll(async () => {
  const base = path.join(repoRoot, '.local', 'test-runs');
  await mkdir(base, { recursive: true });
  layout = runLayout(await mkdtemp(path.join(base, 'restart-')));
  await up(layout, { unsafeNoFsync: true });
  notesDir = path.join(layout.runDir, 'notes');
  cluster = new TestCluster('rt-restart', layout.kubeconfig);
  await applyCrds(layout.kubeconfig, [Note.crd()]);
  await cluster.createNamespace();
});

afterAll(async () => {
  await running?.stop();
  await down(layout, { purge: true });
  await rm(layout.runDir, { recursive: true, force: true });
});

describe('restarts', () => {
  it('the watch resumes after the API server restarts, and no change is missed', async () => {
    running = await startNoteManager();
    await cluster.apply(note('a', 'before'));
    await fileSays('a', 'before');
    const watchesBefore = informer.stats.watches;

    await stopComponent(layout, 'kube-apiserver');
    await waitFor(() => informer.stats.restarts > 0, {
      timeoutMs: 60_000,
      what: 'the informer to notice the outage',
    });
    await startComponent(layout, 'kube-apiserver');

    // Changes made the moment the API server is back, before the watch has reconnected.
    await cluster.apply(note('a', 'after the restart'));
    await cluster.apply(note('b', 'created after the restart'));
    await fileSays('a', 'after the restart');
    await fileSays('b', 'created after the restart');
    expect(informer.stats.watches).toBeGreaterThan(watchesBefore);
    await cluster.waitForCondition({ apiVersion, kind: 'Note', name: 'b' }, 'Ready');
  });

  it('a new manager converges on everything that changed while none was running', async () => {
    await running?.stop();
    running = undefined;
    await cluster.apply(note('a', 'changed while down'));
    await cluster.objects.delete({
      apiVersion,
      kind: 'Note',
      metadata: { name: 'b', namespace: cluster.namespace },
    });
    await cluster.apply(note('c', 'created while down'));
    // b waits for its finalizer: nobody has deleted its file yet.
    const b = await cluster.read({ apiVersion, kind: 'Note', name: 'b' });
    expect(b.metadata?.deletionTimestamp).toBeDefined();
    expect(existsSync(fileOf('b'))).toBe(true);

    running = await startNoteManager();
    await fileSays('a', 'changed while down');
    await fileSays('c', 'created while down');
    await cluster.waitForGone({ apiVersion, kind: 'Note', name: 'b' });
    expect(existsSync(fileOf('b'))).toBe(false);
  });
});
