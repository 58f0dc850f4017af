// kube-controller-manager's garbage collector acts on ownerReferences: a child goes away after
// its owner is deleted (background), foreground deletion waits for the children, and orphan
// deletion leaves them. This only passes with the real controller-manager running.
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { installWidgetCrd, widget } from './widgets.ts';

const cluster = useTestCluster('smoke-gc');

beforeAll(async () => {
  await installWidgetCrd(cluster);
});

function child(
  name: string,
  owner: { apiVersion: string; kind: string; name: string; uid: string },
): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace: cluster.namespace,
      ownerReferences: [{ ...owner, blockOwnerDeletion: true }],
    },
    data: { owned: 'yes' },
  };
}

async function exists(name: string): Promise<boolean> {
  try {
    await cluster.core.readNamespacedConfigMap({ name, namespace: cluster.namespace });
    return true;
  } catch {
    return false;
  }
}

describe('garbage collection through ownerReferences', () => {
  it('deletes the child of a deleted custom resource', async () => {
    const owner = await cluster.objects.create(widget('parent', cluster.namespace));
    const ref = {
      apiVersion: owner.apiVersion,
      kind: owner.kind,
      name: 'parent',
      uid: owner.metadata.uid ?? '',
    };
    await cluster.core.createNamespacedConfigMap({
      namespace: cluster.namespace,
      body: child('kid', ref),
    });
    // A child of an owner that lives on is kept.
    await cluster.core.createNamespacedConfigMap({
      namespace: cluster.namespace,
      body: { metadata: { name: 'bystander', namespace: cluster.namespace } },
    });

    await cluster.objects.delete(owner, undefined, undefined, undefined, undefined, 'Background');
    await waitFor(async () => !(await exists('kid')), {
      timeoutMs: 60_000,
      what: 'the child ConfigMap to be collected',
    });
    expect(await exists('bystander')).toBe(true);
  });

  it('holds a foreground-deleted owner until its children are gone', async () => {
    const owner = await cluster.objects.create(widget('fg-parent', cluster.namespace));
    const ref = {
      apiVersion: owner.apiVersion,
      kind: owner.kind,
      name: 'fg-parent',
      uid: owner.metadata.uid ?? '',
    };
    await cluster.core.createNamespacedConfigMap({
      namespace: cluster.namespace,
      body: child('fg-kid', ref),
    });

    await cluster.objects.delete(owner, undefined, undefined, undefined, undefined, 'Foreground');
    await cluster.waitForGone({
      apiVersion: owner.apiVersion,
      kind: owner.kind,
      name: 'fg-parent',
    });
    expect(await exists('fg-kid')).toBe(false);
  });

  it('leaves children behind when the owner is deleted with orphan propagation', async () => {
    const owner = await cluster.objects.create(widget('orphaner', cluster.namespace));
    const ref = {
      apiVersion: owner.apiVersion,
      kind: owner.kind,
      name: 'orphaner',
      uid: owner.metadata.uid ?? '',
    };
    await cluster.core.createNamespacedConfigMap({
      namespace: cluster.namespace,
      body: child('orphan', ref),
    });

    await cluster.objects.delete(owner, undefined, undefined, undefined, undefined, 'Orphan');
    await cluster.waitForGone({ apiVersion: owner.apiVersion, kind: owner.kind, name: 'orphaner' });
    // The garbage collector strips the ownerReference rather than deleting the child.
    const orphan = await waitFor(
      async () => {
        const cm = await cluster.core.readNamespacedConfigMap({
          name: 'orphan',
          namespace: cluster.namespace,
        });
        return (cm.metadata?.ownerReferences ?? []).length === 0 ? cm : undefined;
      },
      { timeoutMs: 60_000, what: 'the orphan to lose its ownerReference' },
    );
    expect(orphan.data).toEqual({ owned: 'yes' });
  });
});
