// The informers the platform controller and the quota webhook share: the platform's kinds,
// namespaces, and every kind that counts against quotas with what counting looks up.
import type { Informer } from '../../controllers/informer/index.ts';
import type { KubeObject } from '../../controllers/kube/index.ts';
import type { Manager } from '../../controllers/manager/index.ts';
import { Flavor, type FlavorObject } from '../ecs/index.ts';
import { VolumeType, type VolumeTypeObject } from '../evs/index.ts';
import {
  Project,
  Quota,
  Tenant,
  type ProjectObject,
  type QuotaObject,
  type TenantObject,
} from './api/index.ts';
import {
  countedKey,
  countedKinds,
  UncountableError,
  usageOf,
  type CountedKind,
  type CountingLookups,
} from './quota/counted.ts';
import type { CountedObject } from './quota/platform-state.ts';
import { namespaceResource } from './namespace-resource.ts';
import { TenantTree } from './quota/tenant-tree.ts';

export { namespaceResource } from './namespace-resource.ts';

export class PlatformCaches {
  readonly tenants: Informer<TenantObject>;
  readonly projects: Informer<ProjectObject>;
  readonly quotas: Informer<QuotaObject>;
  readonly namespaces: Informer<KubeObject>;
  readonly flavors: Informer<FlavorObject>;
  readonly volumeTypes: Informer<VolumeTypeObject>;
  readonly counted: { kind: CountedKind; informer: Informer<KubeObject> }[];
  readonly lookups: CountingLookups;

  constructor(mgr: Manager) {
    this.tenants = mgr.informer<TenantObject>(Tenant.resource);
    this.projects = mgr.informer<ProjectObject>(Project.resource);
    this.quotas = mgr.informer<QuotaObject>(Quota.resource);
    this.namespaces = mgr.informer<KubeObject>(namespaceResource);
    this.flavors = mgr.informer<FlavorObject>(Flavor.resource);
    this.volumeTypes = mgr.informer<VolumeTypeObject>(VolumeType.resource);
    this.counted = countedKinds.map((kind) => ({
      kind,
      informer: mgr.informer<KubeObject>(kind.resource),
    }));
    this.lookups = {
      flavor: (name) => this.flavors.cache.get(name),
      volumeTypes: () => this.volumeTypes.cache.list(),
    };
  }

  /** Every informer, to watch them all. */
  all(): Informer<KubeObject>[] {
    return [
      this.tenants,
      this.projects,
      this.quotas,
      this.namespaces,
      this.flavors,
      this.volumeTypes,
      ...this.counted.map((c) => c.informer),
    ] as unknown as Informer<KubeObject>[];
  }

  tree(): TenantTree {
    return new TenantTree(this.tenants.cache.list());
  }

  namespace(name: string): KubeObject | undefined {
    return this.namespaces.cache.get(name);
  }

  /** What each stored object counts as; one whose size cannot be told counts as an instance. */
  countedObjects(): CountedObject[] {
    return this.counted.flatMap(({ kind, informer }) =>
      informer.cache.list().map((obj) => {
        const namespace = obj.metadata.namespace ?? '';
        let usage;
        try {
          usage = usageOf(kind, obj, this.lookups);
        } catch (err) {
          if (!(err instanceof UncountableError)) throw err;
          usage = { instances: 1 };
        }
        return { key: countedKey(kind, namespace, obj.metadata.name ?? ''), namespace, usage };
      }),
    );
  }
}
