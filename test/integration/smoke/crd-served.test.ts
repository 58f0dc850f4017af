// The control plane serves a CRD the way a real cluster does: discovery, kubectl explain with
// the schema's descriptions, printer columns, short names, and the version we built.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '../../../hack/cluster/index.ts';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { installWidgetCrd, widget } from './widgets.ts';

const cluster = useTestCluster('smoke-crd');

beforeAll(async () => {
  await installWidgetCrd(cluster);
});

describe('a CRD on the real API server', () => {
  it('reports the Kubernetes version built from hack/localcluster', async () => {
    const gomod = readFileSync(path.join(repoRoot, 'hack/localcluster/go.mod'), 'utf8');
    const pinned = /^\s*k8s\.io\/kubernetes (v\d+\.\d+\.\d+)\b/m.exec(gomod)?.[1];
    expect(pinned).toBeDefined();
    const out = await cluster.kubectl(['version', '-o', 'json']);
    expect(out.stderr).toBe('');
    const v = JSON.parse(out.stdout) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string; major: string; minor: string };
    };
    expect(v.serverVersion.gitVersion).toBe(pinned);
    expect(v.clientVersion.gitVersion).toBe(pinned);
    expect(`v${v.serverVersion.major}.${v.serverVersion.minor}.`).toBe(pinned?.replace(/\d+$/, ''));
  });

  it('is listed by discovery with its short name and category', async () => {
    const out = await cluster.kubectl([
      'api-resources',
      '--api-group=smoke.test.kcloud.io',
      '-o',
      'wide',
    ]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/widgets\s+wdg\s+smoke\.test\.kcloud\.io\/v1alpha1\s+true\s+Widget/);
    expect(out.stdout).toContain('kcloud-smoke');
  });

  it('teaches its fields through kubectl explain', async () => {
    // The API server publishes a new CRD's OpenAPI a moment after it is Established (longer
    // with many CRDs installed); kubectl explain reads it from there.
    const out = await waitFor(
      async () => {
        const r = await cluster.kubectl(['explain', 'widgets.spec']);
        return r.code === 0 && r.stdout.includes('WidgetSpec') ? r : undefined;
      },
      { timeoutMs: 30_000, what: 'kubectl explain widgets.spec to show the published schema' },
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('WidgetSpec is the desired state of a Widget.');
    expect(out.stdout).toMatch(/size\s+<integer> -required-/);
    expect(out.stdout).toContain('Size of the widget in whole units, from 1 to 100.');
    const zone = await cluster.kubectl(['explain', 'widgets.spec.zone']);
    expect(zone.stdout).toContain('Availability zone the widget lives in; immutable once set.');
  });

  it('prints its columns in kubectl get, by short name and by category', async () => {
    await cluster.objects.create(widget('shown', cluster.namespace, { size: 7 }));
    for (const resource of ['wdg', 'kcloud-smoke']) {
      const out = await cluster.kubectl(['get', resource, '-n', cluster.namespace]);
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/^NAME\s+SIZE\s+PHASE\n/);
      expect(out.stdout).toMatch(/shown\s+7\s+/);
    }
  });

  it('applies schema defaults', async () => {
    const created = await cluster.objects.create(widget('defaults', cluster.namespace));
    expect(created.spec).toEqual({ size: 3, zone: 'zone-a', minReplicas: 1, maxReplicas: 3 });
  });
});
