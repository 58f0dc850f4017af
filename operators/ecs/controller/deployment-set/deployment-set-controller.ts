// The ECS operator's DeploymentSet controller in kcloud-manager: a DeploymentSet has no backend,
// only a status summed from the Instances naming it and the Hosts they are on. Its condition
// Spread (and Ready with it) turns False when a Strict set no longer holds.
import { ReconcileError, type ManagedStatus } from '../../../../controllers/external/index.ts';
import { hostLabel } from '../../../../controllers/host/index.ts';
import { objectKey } from '../../../../controllers/kube/index.ts';
import type { Manager } from '../../../../controllers/manager/index.ts';
import { specOrReadinessChanged } from '../../../../controllers/reconcile/index.ts';
import { addManagedController, watch } from '../../../../controllers/wiring/index.ts';
import {
  DeploymentSet,
  ecsFinalizer,
  Host,
  Instance,
  spreadCondition,
  type DeploymentSetObject,
  type DeploymentSetStatus,
  type HostObject,
  type InstanceObject,
} from '../../api/index.ts';
import { computeHost, type ComputeHost } from '../../scheduler/index.ts';
import { setSpread } from './spread-status.ts';

export const deploymentSetControllerName = 'ecs-deploymentset-status';

/** The index of Instances by the set they name: `<namespace>/<set>`. */
const bySet = 'ecs.kcloud.io/deployment-set';

const fields = ['members', 'instances', 'unscheduled', 'domains', 'placement'] as const;

export interface DeploymentSetControllerOptions {
  workers?: number;
}

export function addDeploymentSetController(
  mgr: Manager,
  opts: DeploymentSetControllerOptions = {},
): void {
  const sets = mgr.informer<DeploymentSetObject>(DeploymentSet.resource);
  const instances = mgr.informer<InstanceObject>(Instance.resource, {
    indexers: {
      [bySet]: (i) => {
        const name = i.spec.placement?.deploymentSetRef?.name;
        return name !== undefined ? [`${i.metadata.namespace ?? ''}/${name}`] : [];
      },
    },
  });
  const hosts = mgr.informer<HostObject>(Host.resource);
  // Hosts as the scheduler sees them, rebuilt only after a Host changed.
  let computed: ComputeHost[] | undefined;
  const stale = () => {
    computed = undefined;
  };
  hosts.addHandler({ onAdd: stale, onUpdate: stale, onDelete: stale });
  const computeHosts = () => (computed ??= hosts.cache.list().map(computeHost));
  const spread = (s: DeploymentSetObject) =>
    setSpread(s, instances.cache.byIndex(bySet, objectKey(s)), computeHosts());
  const setOf = (i: InstanceObject) => i.spec.placement?.deploymentSetRef?.name;

  addManagedController<DeploymentSetObject, DeploymentSetStatus & ManagedStatus, undefined>(mgr, {
    name: deploymentSetControllerName,
    resource: DeploymentSet.resource,
    informer: sets,
    workers: opts.workers ?? 2,
    // An instance that moved to another set leaves the old one's count behind until this.
    resyncPeriodMs: 60_000,
    reconciler: {
      // Never added (nothing to clean up): the client's observe never asks for one.
      finalizer: ecsFinalizer,
      finalizerAddedBy: 'client',
      external: () => ({
        observe: (s) =>
          Promise.resolve().then(() => {
            const { problem } = spread(s);
            if (problem)
              throw new ReconcileError(problem.reason, problem.message, { retry: false });
            return { exists: true, upToDate: true };
          }),
        create: async () => {},
        update: async () => {},
        delete: async () => {},
      }),
      status: () => ({}),
      // The counts are written with every outcome, a broken spread included.
      derived: (s) => spread(s).status,
      statusFields: fields,
      role: { kind: 'summarizer', condition: spreadCondition, contributors: [] },
    },
    watches: [
      watch(
        instances,
        (i) => {
          const name = setOf(i);
          return name !== undefined ? [`${i.metadata.namespace ?? ''}/${name}`] : [];
        },
        (o, n) =>
          setOf(o) !== setOf(n) ||
          o.metadata.labels?.[hostLabel] !== n.metadata.labels?.[hostLabel] ||
          (o.metadata.deletionTimestamp === undefined) !==
            (n.metadata.deletionTimestamp === undefined),
      ),
      // Hosts coming, going, turning Ready or cordoned change the room a Strict set has.
      watch(hosts, () => sets.cache.list().map(objectKey), specOrReadinessChanged),
    ],
  });
}
