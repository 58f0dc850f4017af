// The status subresource splits writers the way controllers rely on: the main resource
// ignores status, /status ignores spec, and only spec changes bump metadata.generation.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { useTestCluster } from '../../harness/index.ts';
import { installWidgetCrd, widget, widgetGroup, widgetVersion, type Widget } from './widgets.ts';

const cluster = useTestCluster('smoke-status');

beforeAll(async () => {
  await installWidgetCrd(cluster);
});

function statusApi(name: string) {
  return {
    group: widgetGroup,
    version: widgetVersion,
    namespace: cluster.namespace,
    plural: 'widgets',
    name,
  };
}

describe('the status subresource', () => {
  it('writes status only through /status, without bumping generation', async () => {
    const created = await cluster.objects.create(widget('split', cluster.namespace));
    expect(created.metadata.generation).toBe(1);

    // Status sent to the main resource is dropped.
    const withStatus: Widget = { ...created, status: { phase: 'Sneaky' } };
    const afterMain = await cluster.objects.replace(withStatus);
    expect(afterMain.status).toBeUndefined();

    // Status through /status is stored; a spec change sent there is dropped.
    const viaStatus = (await cluster.custom.replaceNamespacedCustomObjectStatus({
      ...statusApi('split'),
      body: {
        ...afterMain,
        spec: { ...afterMain.spec, size: 99 },
        status: { phase: 'Ready', observedGeneration: 1 },
      },
    })) as Widget;
    expect(viaStatus.status).toEqual({ phase: 'Ready', observedGeneration: 1 });
    expect(viaStatus.spec.size).toBe(3);
    expect(viaStatus.metadata.generation).toBe(1);

    // A spec change bumps generation and keeps the status written before.
    const bumped = await cluster.objects.replace({
      ...viaStatus,
      spec: { ...viaStatus.spec, size: 4 },
    });
    expect(bumped.metadata.generation).toBe(2);
    expect(bumped.status).toEqual({ phase: 'Ready', observedGeneration: 1 });
  });

  it('shows status in printer columns', async () => {
    const created = await cluster.objects.create(widget('columns', cluster.namespace, { size: 5 }));
    await cluster.custom.replaceNamespacedCustomObjectStatus({
      ...statusApi('columns'),
      body: { ...created, status: { phase: 'Provisioning' } },
    });
    const out = await cluster.kubectl(['get', 'widgets', 'columns', '-n', cluster.namespace]);
    expect(out.stdout).toMatch(/columns\s+5\s+Provisioning\s+/);
  });
});
