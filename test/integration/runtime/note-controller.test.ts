// The runtime end to end on the test-only Note kind: a Manager with the Note controller against
// the real API server; the backend is real files. Create, update, drift repair, a conflict
// between objects, both deletion policies, and zero API writes once converged.
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Controller } from '../../../controllers/index.ts';
import { addNoteController, type NoteObject } from '../../../operators/example/index.ts';
import {
  startManager,
  tempDir,
  useTestCluster,
  waitFor,
  type RunningManager,
} from '../../harness/index.ts';

const cluster = useTestCluster('rt-note');
const apiVersion = 'example.kcloud.io/v1alpha1';
const ref = (name: string) => ({ apiVersion, kind: 'Note', name });

let running: RunningManager;
let controller: Controller<NoteObject>;
let notes: { dir: string; cleanup: () => Promise<void> };
const resyncMs = 1_000;

function note(name: string, text: string, extra: Record<string, unknown> = {}): string {
  return `apiVersion: ${apiVersion}
kind: Note
metadata: {name: ${name}}
spec: ${JSON.stringify({ text, ...extra })}
`;
}

const fileOf = (name: string) => path.join(notes.dir, cluster.namespace, name);

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = await running.mgr.registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l));
  return v?.value ?? 0;
}

beforeAll(async () => {
  notes = await tempDir('notes');
  running = await startManager(
    (mgr) => {
      controller = addNoteController(mgr, { notesDir: notes.dir, resyncPeriodMs: resyncMs });
    },
    { namespace: cluster.namespace },
  );
});

afterAll(async () => {
  await running.stop();
  await notes.cleanup();
});

describe('the Note controller on the real API server', () => {
  it('writes the file, adds its finalizer and reports Ready with status', async () => {
    await cluster.apply(note('first', 'hello'));
    const ready = (await cluster.waitForCondition(ref('first'), 'Ready')) as unknown as NoteObject;
    expect(await readFile(fileOf('first'), 'utf8')).toBe('hello');
    expect(ready.metadata.finalizers).toEqual(['example.kcloud.io/cleanup']);
    expect(ready.status).toMatchObject({
      phase: 'Ready',
      observedGeneration: 1,
      path: fileOf('first'),
      size: 5,
      checksum: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    });
    const events = await cluster.eventsFor('first', 'Note');
    expect(events.map((e) => e.reason)).toContain('Created');
    const out = await cluster.kubectl(['get', 'notes', 'first', '-n', cluster.namespace]);
    expect(out.stdout).toMatch(/first\s+\S+first\s+5\s+Ready\s+True/);
  });

  it('follows a spec change and records the generation it reconciled', async () => {
    await cluster.apply(note('first', 'hello again'));
    await waitFor(async () => (await cluster.read(ref('first'))).status?.observedGeneration === 2, {
      what: 'observedGeneration 2',
      describe: async () => JSON.stringify((await cluster.read(ref('first'))).status),
    });
    expect(await readFile(fileOf('first'), 'utf8')).toBe('hello again');
  });

  it('repairs drift in the backend within a resync period', async () => {
    await rm(fileOf('first'));
    await waitFor(() => existsSync(fileOf('first')), {
      timeoutMs: 30_000,
      what: 'the file to be rewritten',
    });
    await writeFile(fileOf('first'), 'tampered');
    await waitFor(async () => (await readFile(fileOf('first'), 'utf8')) === 'hello again', {
      timeoutMs: 30_000,
      what: 'the file content to be restored',
    });
  });

  it('reports a conflict between two objects with a reason, and writes nothing for the loser', async () => {
    await cluster.apply(note('second', 'mine', { fileName: 'first' }));
    const failed = await cluster.waitForCondition(ref('second'), 'Ready', 'False');
    const ready = failed.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.reason).toBe('FileInUse');
    expect(ready?.message).toContain(`belongs to Note ${cluster.namespace}/first`);
    expect(await readFile(fileOf('first'), 'utf8')).toBe('hello again');
    const events = await cluster.eventsFor('second', 'Note');
    expect(events.some((e) => e.type === 'Warning' && e.reason === 'FileInUse')).toBe(true);
    // A conflict waits for an edit instead of being retried as an error.
    expect(
      await metric('controller_runtime_reconcile_errors_total', { controller: controller.name }),
    ).toBe(0);
  });

  it('converges under concurrent writers, conflicts requeued and never counted as errors', async () => {
    // Another writer keeps changing the objects while the controller adds finalizers and writes
    // status: the controller's copies go stale, its guarded patches get 409, and it retries.
    const names = Array.from({ length: 20 }, (_, i) => `busy-${String(i)}`);
    await Promise.all(names.map((n) => cluster.apply(note(n, 'v0'))));
    for (let round = 1; round <= 5; round++) {
      await Promise.all(names.map((n) => cluster.apply(note(n, `v${String(round)}`))));
    }
    for (const n of names) {
      await waitFor(
        async () => {
          const o = await cluster.read(ref(n));
          return (
            o.status?.observedGeneration === o.metadata?.generation && o.status?.phase === 'Ready'
          );
        },
        { what: `${n} to converge` },
      );
      expect(await readFile(fileOf(n), 'utf8')).toBe('v5');
    }
    expect(
      await metric('controller_runtime_reconcile_errors_total', { controller: controller.name }),
    ).toBe(0);
    await Promise.all(
      names.map((n) =>
        cluster.objects.delete({
          apiVersion,
          kind: 'Note',
          metadata: { name: n, namespace: cluster.namespace },
        }),
      ),
    );
    for (const n of names) await cluster.waitForGone(ref(n));
  });

  it('makes no API writes once everything has converged', async () => {
    await cluster.objects.delete({
      apiVersion,
      kind: 'Note',
      metadata: { name: 'second', namespace: cluster.namespace },
    });
    await cluster.waitForGone(ref('second'));
    const writes = () => {
      const c = running.mgr.api.counts;
      return c.POST + c.PUT + c.PATCH + c.DELETE;
    };
    const reconciles = () =>
      metric('controller_runtime_reconcile_total', {
        controller: controller.name,
        result: 'success',
      });
    // Wait until a full resync has passed with no write, then watch three more.
    let last = writes();
    await waitFor(
      async () => {
        const before = await reconciles();
        await new Promise((r) => setTimeout(r, resyncMs * 1.5));
        const quiet = writes() === last && (await reconciles()) > before;
        last = writes();
        return quiet;
      },
      { timeoutMs: 30_000, what: 'a resync with no writes' },
    );
    const settled = writes();
    const reconcilesBefore = await reconciles();
    await new Promise((r) => setTimeout(r, resyncMs * 3.5));
    expect(await reconciles()).toBeGreaterThanOrEqual(reconcilesBefore + 3);
    expect(writes()).toBe(settled);
  });

  it('deletes the file before releasing the object (deletionPolicy Delete)', async () => {
    await cluster.objects.delete({
      apiVersion,
      kind: 'Note',
      metadata: { name: 'first', namespace: cluster.namespace },
    });
    await cluster.waitForGone(ref('first'));
    expect(existsSync(fileOf('first'))).toBe(false);
    expect(existsSync(path.join(notes.dir, cluster.namespace, '.first.owner'))).toBe(false);
  });

  it('keeps the file when deletionPolicy is Retain', async () => {
    await cluster.apply(note('kept', 'stays', { deletionPolicy: 'Retain' }));
    await cluster.waitForCondition(ref('kept'), 'Ready');
    await cluster.objects.delete({
      apiVersion,
      kind: 'Note',
      metadata: { name: 'kept', namespace: cluster.namespace },
    });
    await cluster.waitForGone(ref('kept'));
    expect(await readFile(fileOf('kept'), 'utf8')).toBe('stays');
    const events = await cluster.eventsFor('kept', 'Note');
    expect(events.map((e) => e.reason)).toContain('Retained');
  });
});
