// Deleting a namespace empties it (built-in and custom resources alike) and then removes it:
// the namespace controller of the real kube-controller-manager does this, nothing else.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { statusCode, useTestCluster, waitFor } from '../../harness/index.ts';
import { installWidgetCrd, widget } from './widgets.ts';

const cluster = useTestCluster('smoke-ns');

beforeAll(async () => {
  await installWidgetCrd(cluster);
});

describe('namespace deletion', () => {
  it('deletes everything in the namespace, then the namespace', async () => {
    const name = `${cluster.namespace}-doomed`;
    await cluster.core.createNamespace({ body: { metadata: { name } } });
    await cluster.objects.create(widget('inside', name));
    await cluster.core.createNamespacedConfigMap({
      namespace: name,
      body: { metadata: { name: 'inside' } },
    });

    await cluster.core.deleteNamespace({ name });
    const ns = await cluster.core.readNamespace({ name });
    expect(ns.status?.phase).toBe('Terminating');

    // New objects are refused while it terminates.
    const refused = await cluster.core
      .createNamespacedConfigMap({ namespace: name, body: { metadata: { name: 'late' } } })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(statusCode(refused)).toBe(403);

    await waitFor(
      async () => {
        try {
          await cluster.core.readNamespace({ name });
          return false;
        } catch (err) {
          return statusCode(err) === 404;
        }
      },
      { timeoutMs: 90_000, what: `namespace ${name} to be deleted` },
    );
    const widgets = await cluster.kubectl(['get', 'widgets', '-n', name, '-o', 'name']);
    expect(widgets.stdout.trim()).toBe('');
  });
});
