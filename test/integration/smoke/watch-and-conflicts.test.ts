// Optimistic concurrency and watches behave as on a real cluster: a write with a stale
// resourceVersion is refused with 409 Conflict, and a watch delivers ADDED, MODIFIED and
// DELETED in order, resuming from a resourceVersion.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { Watch } from '@kubernetes/client-node';
import { statusCode, statusMessage, useTestCluster, waitFor } from '../../harness/index.ts';
import { installWidgetCrd, widget, widgetGroup, widgetVersion, type Widget } from './widgets.ts';

const cluster = useTestCluster('smoke-watch');

beforeAll(async () => {
  await installWidgetCrd(cluster);
});

describe('optimistic concurrency', () => {
  it('refuses an update carrying a stale resourceVersion with 409 Conflict', async () => {
    const created = await cluster.objects.create(widget('contended', cluster.namespace));
    const first = structuredClone(created);
    const second = structuredClone(created);

    first.spec.size = 10;
    const updated = await cluster.objects.replace(first);
    expect(updated.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);

    second.spec.size = 20;
    const err = await cluster.objects.replace(second).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(statusCode(err)).toBe(409);
    expect(statusMessage(err)).toBe(
      `Operation cannot be fulfilled on widgets.${widgetGroup} "contended": ` +
        'the object has been modified; please apply your changes to the latest version and try again',
    );
    const current = await cluster.objects.read<Widget>(updated);
    expect(current.spec.size).toBe(10);
  });

  it('refuses to create an object that already exists with 409 AlreadyExists', async () => {
    await cluster.objects.create(widget('twice', cluster.namespace));
    const err = await cluster.objects.create(widget('twice', cluster.namespace)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(statusCode(err)).toBe(409);
    expect(statusMessage(err)).toBe(`widgets.${widgetGroup} "twice" already exists`);
  });
});

describe('watch', () => {
  it('streams ADDED, MODIFIED and DELETED from a resourceVersion', async () => {
    const ns = cluster.namespace;
    const list: unknown = await cluster.custom.listNamespacedCustomObject({
      group: widgetGroup,
      version: widgetVersion,
      namespace: ns,
      plural: 'widgets',
    });
    const fromVersion = (list as { metadata: { resourceVersion: string } }).metadata
      .resourceVersion;

    const seen: string[] = [];
    const watch = new Watch(cluster.kc);
    const req = await watch.watch(
      `/apis/${widgetGroup}/${widgetVersion}/namespaces/${ns}/widgets`,
      { resourceVersion: fromVersion, fieldSelector: 'metadata.name=watched' },
      (type: string, obj: Widget) => {
        seen.push(`${type}:${obj.spec.size}`);
      },
      () => undefined,
    );
    try {
      const created = await cluster.objects.create(widget('watched', ns, { size: 1 }));
      created.spec.size = 2;
      await cluster.objects.replace(created);
      await cluster.objects.delete(created);
      await waitFor(() => seen.length >= 3, {
        timeoutMs: 20_000,
        what: 'three watch events',
        describe: () => seen.join(', '),
      });
      expect(seen).toEqual(['ADDED:1', 'MODIFIED:2', 'DELETED:2']);
    } finally {
      req.abort();
    }
  });

  it('answers 410 Gone for a resourceVersion older than the server still has', async () => {
    // This is how an informer learns it must relist: the watch cache of a kind starts at the
    // revision it was created at, so resourceVersion 1 is long gone.
    const ns = cluster.namespace;
    const outcome = await new Promise<string>((resolve, reject) => {
      const watch = new Watch(cluster.kc);
      let result = 'no event';
      watch
        .watch(
          `/apis/${widgetGroup}/${widgetVersion}/namespaces/${ns}/widgets`,
          { resourceVersion: '1', timeoutSeconds: 5 },
          (type: string, obj: { code?: number; reason?: string }) => {
            if (type === 'ERROR') result = `ERROR ${String(obj.code)} ${obj.reason ?? ''}`;
          },
          () => {
            resolve(result);
          },
        )
        .catch(reject);
    });
    expect(outcome).toBe('ERROR 410 Expired');
  });
});
