// A Project's namespace: created labelled with the tenant and owned by the Project (deleted
// with it by the garbage collector); an existing namespace without the label is labelled; one
// labelled for another tenant is left alone and the Project says so.
import { isAlreadyExists, type KubeObject } from '../../../controllers/kube/index.ts';
import type { Manager } from '../../../controllers/manager/index.ts';
import { controllerReference, type Outcome } from '../../../controllers/reconcile/index.ts';
import { tenantLabel, type ProjectObject } from '../api/index.ts';
import { namespaceResource, type PlatformCaches } from '../caches.ts';
import type { TenantTree } from '../quota/tenant-tree.ts';

export async function ensureProjectNamespace(
  mgr: Manager,
  project: ProjectObject,
  tree: TenantTree,
  caches: PlatformCaches,
): Promise<Outcome> {
  const name = project.metadata.name ?? '';
  const tenant = project.spec.tenantRef.name;
  if (!tree.has(tenant)) {
    return {
      state: 'Reconciling',
      reason: 'TenantNotFound',
      message: `Tenant ${tenant} does not exist yet; the namespace is made once it does`,
    };
  }
  const namespaces = mgr.client<KubeObject>(namespaceResource);
  const ns = caches.namespace(name);
  if (!ns) {
    try {
      await namespaces.create({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name,
          labels: { [tenantLabel]: tenant },
          // Not blocking the owner's deletion: the namespace's own deletion takes its time.
          ownerReferences: [{ ...controllerReference(project), blockOwnerDeletion: false }],
        },
      });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    return {
      state: 'Reconciling',
      reason: 'NamespaceCreated',
      message: `namespace ${name} was created`,
    };
  }
  if (ns.metadata.deletionTimestamp) {
    return {
      state: 'Reconciling',
      reason: 'NamespaceTerminating',
      message: `namespace ${name} is being deleted; it is made again once it is gone`,
    };
  }
  const labelled = ns.metadata.labels?.[tenantLabel];
  if (labelled === undefined || labelled === '') {
    await namespaces.patch(undefined, name, 'merge', {
      metadata: { labels: { [tenantLabel]: tenant } },
    });
    return {
      state: 'Reconciling',
      reason: 'NamespaceLabelled',
      message: `namespace ${name} was labelled`,
    };
  }
  if (labelled !== tenant) {
    return {
      state: 'Stalled',
      reason: 'NamespaceOfOtherTenant',
      message: `namespace ${name} is a project of tenant ${labelled}; a project cannot move between tenants: delete this Project or choose another name`,
    };
  }
  return {
    state: 'Ready',
    reason: 'Available',
    message: `namespace ${name} is a project of ${tenant}`,
  };
}
