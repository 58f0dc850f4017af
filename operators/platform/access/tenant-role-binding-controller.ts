// Keeps the RoleBindings of every TenantRoleBinding: one in each project of the tenant and of
// the tenants below it, none anywhere else, and the catalog's ClusterRoleBinding. Projects are
// namespaces labelled with a tenant; a namespace that gets the label, loses it or changes
// tenant moves the bindings with it on the next reconcile of the TenantRoleBindings.
import { ReconcileError, type ManagedStatus } from '../../../controllers/external/index.ts';
import {
  isAlreadyExists,
  isNotFound,
  objectKey,
  type KubeObject,
} from '../../../controllers/kube/index.ts';
import type { Manager } from '../../../controllers/manager/index.ts';
import { addManagedController, watch } from '../../../controllers/wiring/index.ts';
import {
  Tenant,
  TenantRoleBinding,
  tenantLabel,
  type TenantObject,
  type TenantRoleBindingObject,
  type TenantRoleBindingStatus,
} from '../api/index.ts';
import { subtree } from '../audit/index.ts';
import { namespaceResource } from '../namespace-resource.ts';
import {
  bindingName,
  bindingOwnerLabel,
  desiredBindings,
  sameGrant,
  type Binding,
} from './desired-bindings.ts';

export const tenantAccessControllerName = 'platform-tenant-access';
export const platformCleanupFinalizer = 'platform.kcloud.io/cleanup';

export const roleBindingResource = {
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural: 'rolebindings',
  kind: 'RoleBinding',
  namespaced: true,
};
export const clusterRoleBindingResource = {
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural: 'clusterrolebindings',
  kind: 'ClusterRoleBinding',
  namespaced: false,
};

type StoredBinding = KubeObject & Pick<Binding, 'roleRef'> & { subjects?: Binding['subjects'] };

interface Plan {
  create: Binding[];
  /** Stored with another role or other subjects: a roleRef cannot change, so replaced. */
  replace: Binding[];
  remove: StoredBinding[];
  namespaces: string[];
}

export interface TenantAccessOptions {
  workers?: number;
}

export function addTenantAccessController(mgr: Manager, opts: TenantAccessOptions = {}): void {
  const trbs = mgr.informer<TenantRoleBindingObject>(TenantRoleBinding.resource);
  const tenants = mgr.informer<TenantObject>(Tenant.resource);
  const namespaces = mgr.informer<KubeObject>(namespaceResource, { labelSelector: tenantLabel });
  const byOwner = (b: KubeObject) => [b.metadata.labels?.[bindingOwnerLabel] ?? ''];
  // Across every namespace even when the manager watches one: a tenant's projects are
  // namespaces of their own, and the bindings live there.
  const roleBindings = mgr.informer<StoredBinding>(roleBindingResource, {
    namespace: '',
    labelSelector: bindingOwnerLabel,
    indexers: { [bindingOwnerLabel]: byOwner },
  });
  const clusterRoleBindings = mgr.informer<StoredBinding>(clusterRoleBindingResource, {
    labelSelector: bindingOwnerLabel,
    indexers: { [bindingOwnerLabel]: byOwner },
  });
  const rbClient = mgr.client<KubeObject>(roleBindingResource);
  const crbClient = mgr.client<KubeObject>(clusterRoleBindingResource);

  const plan = (trb: TenantRoleBindingObject): Plan => {
    const tenant = trb.spec.tenantRef.name;
    const all = tenants.cache.list();
    if (!all.some((t) => t.metadata.name === tenant)) {
      throw new ReconcileError('TenantNotFound', `Tenant ${tenant} does not exist`, {
        retry: false,
      });
    }
    const inTree = subtree(tenant, all);
    const projects = namespaces.cache
      .list()
      .filter((n) => inTree.has(n.metadata.labels?.[tenantLabel] ?? ''))
      .map((n) => n.metadata.name ?? '');
    const want = desiredBindings(trb, projects);
    const owner = trb.metadata.name ?? '';
    const stored = [
      ...roleBindings.cache.byIndex(bindingOwnerLabel, owner),
      ...clusterRoleBindings.cache.byIndex(bindingOwnerLabel, owner),
    ];
    const keyOf = (kind: string, ns: string | undefined, name: string | undefined) =>
      `${kind}/${ns ?? ''}/${name ?? ''}`;
    const storedByKey = new Map(
      stored.map((s) => [
        keyOf(
          s.metadata.namespace ? 'RoleBinding' : 'ClusterRoleBinding',
          s.metadata.namespace,
          s.metadata.name,
        ),
        s,
      ]),
    );
    const wanted = new Set(want.map((w) => keyOf(w.kind, w.metadata.namespace, w.metadata.name)));
    return {
      create: want.filter(
        (w) => !storedByKey.has(keyOf(w.kind, w.metadata.namespace, w.metadata.name)),
      ),
      replace: want.filter((w) => {
        const s = storedByKey.get(keyOf(w.kind, w.metadata.namespace, w.metadata.name));
        return s !== undefined && !sameGrant(s, w);
      }),
      remove: [...storedByKey.entries()].filter(([k]) => !wanted.has(k)).map(([, s]) => s),
      namespaces: [...projects].sort(),
    };
  };

  const clientOf = (kind: string) => (kind === 'RoleBinding' ? rbClient : crbClient);
  const gone = (err: unknown) => {
    if (!isNotFound(err)) throw err;
  };
  const apply = async (p: Plan, signal: AbortSignal) => {
    for (const b of p.remove) {
      const kind = b.metadata.namespace ? 'RoleBinding' : 'ClusterRoleBinding';
      await clientOf(kind)
        .delete(b.metadata.namespace, b.metadata.name ?? '', { signal })
        .catch(gone);
    }
    for (const b of p.replace) {
      await clientOf(b.kind).delete(b.metadata.namespace, b.metadata.name, { signal }).catch(gone);
    }
    for (const b of [...p.replace, ...p.create]) {
      await clientOf(b.kind)
        .create(b as unknown as KubeObject, signal)
        .catch((err: unknown) => {
          // A namespace deleted meanwhile: the next reconcile no longer wants it. Made by the
          // reconcile before this one, not in the cache yet: the next one compares it.
          if (!isNotFound(err) && !isAlreadyExists(err)) throw err;
        });
    }
  };

  addManagedController<
    TenantRoleBindingObject,
    TenantRoleBindingStatus & ManagedStatus,
    { namespaces: string[] }
  >(mgr, {
    name: tenantAccessControllerName,
    resource: TenantRoleBinding.resource,
    informer: trbs,
    workers: opts.workers ?? 2,
    reconciler: {
      finalizer: platformCleanupFinalizer,
      external: () => ({
        observe: (trb) =>
          Promise.resolve().then(() => {
            const p = plan(trb);
            const stored =
              roleBindings.cache.byIndex(bindingOwnerLabel, trb.metadata.name ?? '').length +
              clusterRoleBindings.cache.byIndex(bindingOwnerLabel, trb.metadata.name ?? '').length;
            return {
              exists: stored > 0,
              upToDate: p.create.length + p.replace.length + p.remove.length === 0,
              observed: { namespaces: p.namespaces },
            };
          }),
        create: (trb, signal) => apply(plan(trb), signal),
        update: (trb, _o, signal) => apply(plan(trb), signal),
        delete: async (trb, signal) => {
          const owner = trb.metadata.name ?? '';
          await rbClient
            .list({ labelSelector: `${bindingOwnerLabel}=${owner}`, signal })
            .then(async (l) => {
              for (const b of l.items) {
                await rbClient
                  .delete(b.metadata.namespace, b.metadata.name ?? '', { signal })
                  .catch(gone);
              }
            });
          await crbClient.delete(undefined, bindingName(owner), { signal }).catch(gone);
        },
      }),
      status: (_trb, o) => ({ namespaces: o.observed?.namespaces ?? [] }),
      statusFields: ['namespaces'],
    },
    watches: [
      // A tenant added, removed or moved under another changes every binding's subtree.
      watch(tenants, () => trbs.cache.list().map(objectKey)),
      // A project labelled, relabelled or gone.
      watch(namespaces, () => trbs.cache.list().map(objectKey)),
      // What it made, changed or deleted by someone else.
      watch(roleBindings, (b) => [b.metadata.labels?.[bindingOwnerLabel] ?? '']),
      watch(clusterRoleBindings, (b) => [b.metadata.labels?.[bindingOwnerLabel] ?? '']),
    ],
  });
}
