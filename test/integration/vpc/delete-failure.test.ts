// A backend delete that fails is visible: with the northbound database stopped, a VPC being
// deleted says so in its conditions (Ready=False BackendUnreachable, Reconciling=True), in a
// Warning event and in kcloud_backend_delete_errors_total; once the database is back, the
// deletion finishes and leaves no row behind. Real API server, real OVN.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { kstatusOf } from '../../../controllers/testing/index.ts';
import {
  down,
  nbctl,
  startComponent,
  stopComponent,
  type OvnLayout,
} from '../../../hack/ovn/index.ts';
import { ownedTables } from '../../../operators/vpc/ovn/nb/index.ts';
import { useTestCluster, waitFor, type RunningManager } from '../../harness/index.ts';
import { doc, ref, startOvnAndOperator } from './operator-fixture.ts';

const cluster = useTestCluster('vpc-delfail');
let layout: OvnLayout;
let running: RunningManager;

beforeAll(async () => {
  ({ layout, running } = await startOvnAndOperator(cluster, 'ovn-delfail-', {
    dataPlane: false,
  }));
});

afterAll(async () => {
  await running.stop();
  await down(layout, { purge: true });
  await rm(layout.runDir, { recursive: true, force: true });
});

/** Rows of every table the operator owns that belong to this test's namespace. */
async function ownedRows(): Promise<number> {
  let n = 0;
  for (const table of ownedTables) {
    const r = await nbctl(layout, [
      '--bare',
      '--columns=_uuid',
      'find',
      table,
      `external_ids:"kcloud.io/namespace"="${cluster.namespace}"`,
    ]);
    if (r.code !== 0) throw new Error(`ovn-nbctl find ${table}: ${r.stderr}`);
    n += r.stdout.split('\n').filter(Boolean).length;
  }
  return n;
}

async function deleteErrors(reason: string): Promise<number> {
  const m = await running.mgr.registry.getSingleMetric('kcloud_backend_delete_errors_total')?.get();
  return (
    m?.values.find((v) => v.labels.controller === 'vpc-controller' && v.labels.reason === reason)
      ?.value ?? 0
  );
}

describe('a backend delete that fails', () => {
  it('is reported on the object, as an event and a metric, and finishes once the backend is back', async () => {
    await cluster.apply(doc('VPC', 'v', { cidrBlocks: ['10.0.0.0/16'] }));
    await cluster.waitForCondition(ref('VPC', 'v'), 'Ready', 'True', 60_000);
    expect(await ownedRows()).toBe(1);

    await stopComponent(layout, 'ovsdb-nb');
    await cluster.kubectl(['delete', 'vpc', 'v', '-n', cluster.namespace, '--wait=false']);

    const failing = await cluster.waitForCondition(ref('VPC', 'v'), 'Reconciling', 'True', 60_000);
    expect(failing.metadata?.deletionTimestamp).toBeDefined();
    expect(failing.status?.phase).toBe('Deleting');
    const byType = Object.fromEntries(
      (failing.status?.conditions ?? []).map((c) => [c.type, c] as const),
    );
    expect(byType.Ready).toMatchObject({
      status: 'False',
      reason: 'BackendUnreachable',
      observedGeneration: failing.metadata?.generation,
    });
    expect(byType.Ready?.message).toMatch(
      /^deleting the backend resource failed: the OVN northbound database is unreachable/,
    );
    expect(byType.Reconciling).toMatchObject({ status: 'True', reason: 'BackendUnreachable' });
    expect(byType.Stalled).toMatchObject({ status: 'False' });
    expect(kstatusOf(failing as Parameters<typeof kstatusOf>[0])).toBe('Terminating');
    await waitFor(
      async () =>
        (await cluster.eventsFor('v', 'VPC')).some(
          (e) => e.type === 'Warning' && e.reason === 'BackendUnreachable' && e.action === 'Delete',
        ),
      { timeoutMs: 30_000, what: 'a Warning event BackendUnreachable about the VPC' },
    );
    expect(await deleteErrors('BackendUnreachable')).toBeGreaterThanOrEqual(1);

    await startComponent(layout, 'ovsdb-nb');
    await cluster.waitForGone(ref('VPC', 'v'), 90_000);
    expect(await ownedRows()).toBe(0);
    const reasons = (await cluster.eventsFor('v', 'VPC')).map((e) => e.reason);
    expect(reasons).toContain('Deleted');
  });
});
