// The ECS operator's InstanceOperation controller in kcloud-manager: it binds each operation to
// the host of its Instance (the label that host's agent watches), copies a reset-password's
// password where that agent can read it, re-makes a rebuild's boot volume through EVS once the
// agent has stopped the VM, and sums up Ready and the phase from its own Scheduled and the
// agent's Executed. The Instance's own status shows nothing of its operations.
import { isConditionTrue } from '../../../../controllers/index.ts';
import { keptFields, type ManagedStatus } from '../../../../controllers/external/index.ts';
import { hostLabel, type Bound } from '../../../../controllers/host/index.ts';
import { objectKey } from '../../../../controllers/kube/index.ts';
import type { Manager } from '../../../../controllers/manager/index.ts';
import { ownerKeys, specOrReadinessChanged } from '../../../../controllers/reconcile/index.ts';
import { addManagedController, watch } from '../../../../controllers/wiring/index.ts';
import {
  ecsFinalizer,
  executedCondition,
  Host,
  Image,
  Instance,
  InstanceOperation,
  scheduledCondition,
  type HostObject,
  type ImageObject,
  type InstanceObject,
  type InstanceOperationObject,
} from '../../api/index.ts';
import {
  Volume,
  VolumeOperation,
  type VolumeObject,
  type VolumeOperationObject,
} from '../../../evs/api/index.ts';
import { operationClient } from './operation-client.ts';
import { decideOperation, type OperationPlacement } from './operation-decision.ts';
import { operationFailed, operationPhase } from './operation-phase.ts';
import { secretResource, type SecretObject } from './password-copy.ts';

export const operationControllerName = 'ecs-operation-scheduler';

export interface OperationControllerOptions {
  /** The namespace whose Secrets agents read: reset-password copies go there. */
  hostsNamespace: string;
  workers?: number;
}

const fields = ['instanceUID', 'rebuild'] as const;

export function addInstanceOperationController(
  mgr: Manager,
  opts: OperationControllerOptions,
): void {
  const operations = mgr.informer<InstanceOperationObject>(InstanceOperation.resource);
  const instances = mgr.informer<InstanceObject>(Instance.resource);
  const images = mgr.informer<ImageObject>(Image.resource);
  const hosts = mgr.informer<HostObject>(Host.resource);
  const volumes = mgr.informer<VolumeObject>(Volume.resource);
  const volumeOperations = mgr.informer<VolumeOperationObject>(VolumeOperation.resource);
  const key = (namespace: string, name: string) => `${namespace}/${name}`;
  const world = {
    instance: (ns: string, name: string) => instances.cache.get(key(ns, name)),
    image: (ns: string, name: string) => images.cache.get(key(ns, name)),
    volume: (ns: string, name: string) => volumes.cache.get(key(ns, name)),
    volumeOperation: (ns: string, name: string) => volumeOperations.cache.get(key(ns, name)),
  };
  const hostReady = (name: string) =>
    isConditionTrue(hosts.cache.get(name)?.status?.conditions, 'Ready');
  const operationsOf = (ns: string, match: (op: InstanceOperationObject) => boolean) =>
    operations.cache.inNamespace(ns).filter(match).map(objectKey);
  const hostOf = (o: InstanceObject) => o.metadata.labels?.[hostLabel];

  addManagedController<
    InstanceOperationObject & { status?: ManagedStatus & OperationPlacement },
    ManagedStatus & OperationPlacement,
    Bound<OperationPlacement>
  >(mgr, {
    name: operationControllerName,
    resource: InstanceOperation.resource,
    informer: operations,
    workers: opts.workers ?? 2,
    reconciler: {
      finalizer: ecsFinalizer,
      finalizerAddedBy: 'client',
      external: (op) =>
        operationClient(op, {
          operations: mgr.client<InstanceOperationObject>(InstanceOperation.resource),
          secrets: mgr.client<SecretObject>(secretResource),
          hostsNamespace: opts.hostsNamespace,
          decide: (o) => decideOperation(o, world),
          hostReady,
          finalizer: ecsFinalizer,
          rebuild: {
            world,
            volumeOperations: mgr.client<VolumeOperationObject>(VolumeOperation.resource),
          },
        }),
      status: (op, observation) => observation.observed?.status ?? keptFields(op.status, fields),
      statusFields: fields,
      role: {
        kind: 'summarizer',
        condition: scheduledCondition,
        contributors: [executedCondition],
        phase: operationPhase,
        stalled: operationFailed,
      },
    },
    watches: [
      // An instance appearing, going, being scheduled or moving: its operations look again.
      watch(
        instances,
        (i) =>
          operationsOf(
            i.metadata.namespace ?? '',
            (op) => op.spec.instanceRef.name === i.metadata.name,
          ),
        (o, n) =>
          hostOf(o) !== hostOf(n) ||
          (o.metadata.deletionTimestamp === undefined) !==
            (n.metadata.deletionTimestamp === undefined),
      ),
      // The image a rebuild waits for.
      watch(images, (img) =>
        operations.cache
          .list()
          .filter(
            (op) =>
              op.spec.action === 'rebuild' &&
              (op.spec.rebuild?.imageRef?.name ??
                world.instance(op.metadata.namespace ?? '', op.spec.instanceRef.name)?.spec.imageRef
                  .name) === img.metadata.name,
          )
          .map(objectKey),
      ),
      // A rebuild's VolumeOperation moving on: its progress is copied to the operation.
      watch(volumeOperations, (v) =>
        ownerKeys(v, InstanceOperation.kind, InstanceOperation.apiVersion),
      ),
      // Their host turning Ready or not: Scheduled says whether it is reachable.
      watch(
        hosts,
        (h) => operations.cache.withLabels({ [hostLabel]: h.metadata.name ?? '' }).map(objectKey),
        specOrReadinessChanged,
      ),
    ],
  });
}
