// How a user or a GitOps tool knows a change was applied, on the real API server: a change made
// while no manager runs keeps Ready=True from before, but kstatus reads the object as
// InProgress (observedGeneration lags) and `kubectl wait` for the new generation does not pass;
// once a manager has reconciled it, both do. A spec only a human can fix reads as Failed
// (Stalled=True) for its generation, rather than as forever in progress.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { kstatusOf } from '../../../controllers/testing/index.ts';
import type { KubeObject } from '../../../controllers/kube/index.ts';
import { addNoteController } from '../../../operators/example/index.ts';
import {
  startManager,
  tempDir,
  useTestCluster,
  waitFor,
  type RunningManager,
} from '../../harness/index.ts';

const cluster = useTestCluster('rt-kstatus');
const apiVersion = 'example.kcloud.io/v1alpha1';
const ref = (name: string) => ({ apiVersion, kind: 'Note', name });
const note = (name: string, spec: object) =>
  `apiVersion: ${apiVersion}\nkind: Note\nmetadata: {name: ${name}}\nspec: ${JSON.stringify(spec)}\n`;

let running: RunningManager | undefined;
let notes: { dir: string; cleanup: () => Promise<void> };

const start = async () => {
  running = await startManager(
    (mgr) => {
      addNoteController(mgr, { notesDir: notes.dir });
    },
    { namespace: cluster.namespace },
  );
};

beforeAll(async () => {
  notes = await tempDir('kstatus');
  await start();
});

afterAll(async () => {
  await running?.stop();
  await notes.cleanup();
});

const read = async (name: string) => (await cluster.read(ref(name))) as unknown as KubeObject;

/** `kubectl wait` for a short while: whether the condition holds now. */
async function kubectlWait(name: string, condition: string): Promise<boolean> {
  const r = await cluster.kubectl([
    'wait',
    `note/${name}`,
    '-n',
    cluster.namespace,
    `--for=${condition}`,
    '--timeout=1s',
  ]);
  return r.code === 0;
}

describe('waiting for a change to be applied', () => {
  it('does not take a change made while no manager runs as applied', async () => {
    await cluster.apply(note('a', { text: 'one' }));
    await cluster.waitForCondition(ref('a'), 'Ready');
    await waitFor(async () => kstatusOf(await read('a')) === 'Current', { what: 'a Current' });
    expect(await kubectlWait('a', 'jsonpath={.status.observedGeneration}=1')).toBe(true);

    await running?.stop();
    running = undefined;
    await cluster.apply(note('a', { text: 'two' }));
    const changed = await cluster.read(ref('a'));
    expect(changed.metadata?.generation).toBe(2);
    // Ready=True is from generation 1; nothing says generation 2 is applied.
    expect(changed.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      observedGeneration: 1,
    });
    expect(kstatusOf(changed as unknown as KubeObject)).toBe('InProgress');
    expect(await kubectlWait('a', 'jsonpath={.status.observedGeneration}=2')).toBe(false);
    expect(await kubectlWait('a', 'condition=Ready')).toBe(false);

    await start();
    await waitFor(async () => kstatusOf(await read('a')) === 'Current', {
      what: 'a Current again',
    });
    expect(await kubectlWait('a', 'jsonpath={.status.observedGeneration}=2')).toBe(true);
    expect(await kubectlWait('a', 'condition=Ready')).toBe(true);
  });

  it('reads a spec that needs a human as Failed for its generation', async () => {
    await cluster.apply(note('b', { text: 'mine', fileName: 'a' }));
    const stalled = await cluster.waitForCondition(ref('b'), 'Stalled', 'True');
    expect(stalled.status?.observedGeneration).toBe(stalled.metadata?.generation);
    expect(stalled.status?.conditions?.find((c) => c.type === 'Stalled')?.reason).toBe('FileInUse');
    expect(kstatusOf(stalled as unknown as KubeObject)).toBe('Failed');
  });
});
