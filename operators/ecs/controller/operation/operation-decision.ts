// Where an InstanceOperation runs: on the host of its Instance, once that Instance exists and is
// scheduled (and, for a rebuild, its image exists). Pure: the caches are passed in. An operation
// that has ended keeps its binding and its outcome: nothing here makes it run a second time.
import {
  hostLabel,
  missing,
  refuse,
  wait,
  type Decision,
} from '../../../../controllers/host/index.ts';
import { getCondition } from '../../../../controllers/reconcile/index.ts';
import type { VolumeObject } from '../../../evs/api/index.ts';
import {
  scheduledCondition,
  type ImageObject,
  type InstanceObject,
  operationEnded,
  type InstanceOperationObject,
  type RebuildProgress,
} from '../../api/index.ts';
import { bootVolumeOf, rebuildImage } from './rebuild.ts';

/** The part of an operation's status the manager writes. */
export interface OperationPlacement {
  instanceUID?: string;
  rebuild?: RebuildProgress;
}

export interface OperationWorld {
  instance(namespace: string, name: string): InstanceObject | undefined;
  image(namespace: string, name: string): ImageObject | undefined;
  volume(namespace: string, name: string): VolumeObject | undefined;
}

export function decideOperation(
  op: InstanceOperationObject,
  world: OperationWorld,
): Decision<OperationPlacement> {
  const bound = op.metadata.labels?.[hostLabel];
  const recorded = op.status?.instanceUID;
  const kept: OperationPlacement = recorded !== undefined ? { instanceUID: recorded } : {};
  if (operationEnded(op)) {
    // Failed here (not by the agent): the same answer for good, whatever the instance does now.
    const scheduled = getCondition(op.status?.conditions, scheduledCondition);
    if (op.status?.phase === 'Failed' && scheduled?.status === 'False') {
      return refuse(scheduled.reason, scheduled.message, false);
    }
    if (bound !== undefined) return { bind: bound, status: kept };
  }
  const ns = op.metadata.namespace ?? '';
  const name = op.spec.instanceRef.name;
  const instance = world.instance(ns, name);
  if (!instance) {
    // Bound to an instance that is gone: it cannot run, and must not run on a later one.
    if (bound !== undefined || recorded !== undefined) {
      return refuse(
        'InstanceDeleted',
        `Instance ${name} was deleted before the operation ran: it will not run`,
        false,
      );
    }
    return missing(
      'InstanceNotFound',
      `Instance ${name} does not exist: the operation runs once it does`,
    );
  }
  if (recorded !== undefined && instance.metadata.uid !== recorded) {
    return refuse(
      'InstanceReplaced',
      `Instance ${name} is not the one the operation was bound to (that one was deleted): it will not run`,
      false,
    );
  }
  if (instance.metadata.deletionTimestamp) {
    if (bound !== undefined) {
      return refuse(
        'InstanceDeleted',
        `Instance ${name} is being deleted: the operation will not run`,
        false,
      );
    }
    return wait('InstanceDeleting', `Instance ${name} is being deleted`);
  }
  const host = instance.metadata.labels?.[hostLabel];
  if (host === undefined) {
    return wait(
      'InstanceNotScheduled',
      `Instance ${name} has no host yet: the operation runs on its host once it is scheduled`,
    );
  }
  if (bound !== undefined && bound !== host) {
    return refuse(
      'InstanceMoved',
      `Instance ${name} moved from host ${bound} to ${host} after the operation was bound: it will not run; create a new operation`,
      false,
    );
  }
  if (op.spec.action === 'rebuild' && bound === undefined) {
    const image = rebuildImage(op, instance, world.volume(ns, bootVolumeOf(instance)));
    if (!world.image(image.namespace, image.name)) {
      return missing(
        'ImageNotFound',
        `Image ${image.namespace}/${image.name} to rebuild from does not exist: the operation runs once it does`,
      );
    }
  }
  return { bind: host, status: { instanceUID: instance.metadata.uid ?? '' } };
}
