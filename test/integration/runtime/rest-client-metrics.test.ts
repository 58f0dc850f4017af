// Every request the manager sends is counted in rest_client_requests_total, leader election's
// Lease calls and the events recorder's writes included: with no controllers, those are the
// only requests a manager makes, so the counts by method are theirs.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { startManager, useTestCluster, waitFor, type RunningManager } from '../../harness/index.ts';

const cluster = useTestCluster('rt-metrics');
const registry = new Registry();
let running: RunningManager | undefined;

async function requests(method: string): Promise<number> {
  const metric = await registry.getSingleMetric('rest_client_requests_total')?.get();
  return (metric?.values ?? [])
    .filter((v) => v.labels.method === method)
    .reduce((sum, v) => sum + v.value, 0);
}

beforeAll(async () => {
  running = await startManager(() => undefined, {
    registry,
    leaderElection: {
      namespace: cluster.namespace,
      name: 'metrics-leader',
      leaseDurationMs: 4_000,
      renewDeadlineMs: 3_000,
      retryPeriodMs: 500,
    },
  });
});

afterAll(async () => {
  await running?.stop();
});

describe('rest_client_requests_total', () => {
  it('counts the Lease calls of leader election', async () => {
    const mgr = running?.mgr;
    if (!mgr) throw new Error('no manager');
    await waitFor(() => mgr.isLeader(), { timeoutMs: 30_000, what: 'the manager to lead' });
    // The lease was read (GET, 404) and created (POST); renewals are PUTs.
    expect(await requests('GET')).toBeGreaterThanOrEqual(1);
    expect(await requests('POST')).toBe(1);
    await waitFor(async () => (await requests('PUT')) >= 2, {
      timeoutMs: 30_000,
      what: 'two lease renewals counted as PUT',
      describe: () => JSON.stringify(registry.getSingleMetric('rest_client_requests_total')),
    });
    const lease = await cluster.kubectl([
      'get',
      'lease',
      'metrics-leader',
      '-n',
      cluster.namespace,
      '-o',
      'jsonpath={.spec.holderIdentity}',
    ]);
    expect(lease.stdout).toBe(mgr.identity);
  });

  it('counts the events recorder’s create and series patch', async () => {
    const mgr = running?.mgr;
    if (!mgr) throw new Error('no manager');
    const postsBefore = await requests('POST');
    const cm = await cluster.core.createNamespacedConfigMap({
      namespace: cluster.namespace,
      body: { metadata: { name: 'counted' } },
    });
    const regarding = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'counted', namespace: cluster.namespace, uid: cm.metadata?.uid },
    };
    const recorder = mgr.recorder('metrics-test');
    recorder.event(regarding, 'Normal', 'Counted', 'Count', 'counted once');
    await recorder.flush();
    recorder.event(regarding, 'Normal', 'Counted', 'Count', 'counted once');
    await recorder.flush();
    expect(await requests('POST')).toBe(postsBefore + 1);
    expect(await requests('PATCH')).toBe(1);
    const events = await cluster.eventsFor('counted', 'ConfigMap');
    expect(events.find((e) => e.reason === 'Counted')?.series?.count).toBe(2);
  });
});
