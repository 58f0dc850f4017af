// The demo's wait for its samples, against the real API server: an object whose Ready=True
// was earned by an older generation (changed while no manager ran) is not ready; once its
// status reports the current generation it is.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitReady } from '../../../hack/demo/samples.ts';
import { tempDir, useTestCluster } from '../../harness/index.ts';

const cluster = useTestCluster('demo-wait');
let work: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  work = await tempDir('demo-wait');
});

afterAll(async () => {
  await work.cleanup();
});

async function kubectl(args: string[]): Promise<string> {
  const r = await cluster.kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Status as a manager writes it after reconciling `generation`. */
async function reconciled(generation: number, conditionGeneration = generation): Promise<void> {
  const condition = {
    type: 'Ready',
    status: 'True',
    reason: 'Reconciled',
    message: 'written by this test',
    observedGeneration: conditionGeneration,
    lastTransitionTime: '2026-01-01T00:00:00Z',
  };
  await kubectl([
    'patch',
    'notes.example.kcloud.io',
    'stale',
    '-n',
    cluster.namespace,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status: { observedGeneration: generation, conditions: [condition] } }),
  ]);
}

describe("the demo's wait for Ready", () => {
  it('does not take a Ready=True of an older generation for ready', async () => {
    const file = path.join(work.dir, 'note.yaml');
    const note = (text: string) =>
      `apiVersion: example.kcloud.io/v1alpha1\nkind: Note\nmetadata: {name: stale, namespace: ${cluster.namespace}}\nspec: {text: ${text}}\n`;
    await writeFile(file, note('first'));
    await kubectl(['apply', '-f', file]);
    await reconciled(1);
    await waitReady(cluster.kubeconfigPath, [file], 10_000);

    // Changed while no manager runs: generation 2, status still about generation 1.
    await writeFile(file, note('second'));
    await kubectl(['apply', '-f', file]);
    await expect(waitReady(cluster.kubeconfigPath, [file], 2_000)).rejects.toThrow(
      `Note ${cluster.namespace}/stale: Ready=True is for an older generation (generation 2, status.observedGeneration 1, Ready's 1)`,
    );

    // The condition is current, the object's own observedGeneration is not: still not ready
    // (`kubectl wait --for=condition=Ready` looks at the condition alone).
    await reconciled(1, 2);
    await expect(waitReady(cluster.kubeconfigPath, [file], 2_000)).rejects.toThrow(
      `(generation 2, status.observedGeneration 1, Ready's 2)`,
    );

    await reconciled(2);
    await waitReady(cluster.kubeconfigPath, [file], 10_000);
  });
});
