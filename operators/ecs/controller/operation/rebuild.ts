// A rebuild in kcloud-manager. The agent of the instance's host stops the VM and keeps it off
// while the operation has not ended; its startTime says the VM is off. From then on the boot
// Volume's disk is detached (the instance controller leaves its VolumeAttachment out) and
// re-made from the image by an EVS VolumeOperation this operation owns; how that goes is copied
// into the operation's status.rebuild, from which the agent ends the operation, and the VM
// boots from the new disk.
import { controllerReference, getCondition } from '../../../../controllers/reconcile/index.ts';
import type { VolumeObject, VolumeOperationObject } from '../../../evs/api/index.ts';
import {
  operationEnded,
  type InstanceObject,
  type InstanceOperationObject,
  type RebuildProgress,
} from '../../api/index.ts';
import { bootVolumeName } from '../instance/children.ts';

export interface ImageName {
  name: string;
  namespace: string;
}

/** The VolumeOperation re-making the boot volume: one per rebuild, named by its uid. */
export const rebuildVolumeOperationName = (op: InstanceOperationObject) =>
  `rebuild-${op.metadata.uid ?? ''}`;

/**
 * A rebuild under way on its host: the agent has stopped the VM for it and it has not ended.
 * Meanwhile the instance's boot disk is detached, so that EVS can re-make it.
 */
export function rebuildUnderway(op: InstanceOperationObject): boolean {
  return op.spec.action === 'rebuild' && op.status?.startTime !== undefined && !operationEnded(op);
}

/** The boot Volume of an instance: as the manager recorded it, else by its naming rule. */
export const bootVolumeOf = (instance: InstanceObject) =>
  instance.status?.bootVolume ?? bootVolumeName(instance);

/**
 * The image to rebuild from: the one the operation names, else the one the boot volume's data
 * were last made from (an earlier rebuild), else the instance's own.
 */
export function rebuildImage(
  op: InstanceOperationObject,
  instance: InstanceObject,
  bootVolume: VolumeObject | undefined,
): ImageName {
  const ns = op.metadata.namespace ?? '';
  const named = op.spec.rebuild?.imageRef;
  if (named) return { name: named.name, namespace: named.namespace ?? ns };
  const last = bootVolume?.status?.image;
  if (last) return { name: last.name, namespace: last.namespace };
  const own = instance.spec.imageRef;
  return { name: own.name, namespace: own.namespace ?? ns };
}

/** The VolumeOperation that re-makes `volume` from `image`, owned by the rebuild. */
export function reimageOperation(
  op: InstanceOperationObject,
  volume: string,
  image: ImageName,
): VolumeOperationObject {
  const ns = op.metadata.namespace ?? '';
  return {
    apiVersion: 'evs.kcloud.io/v1alpha1',
    kind: 'VolumeOperation',
    metadata: {
      name: rebuildVolumeOperationName(op),
      namespace: ns,
      ownerReferences: [controllerReference(op)],
    },
    spec: {
      volumeRef: { name: volume },
      reimage: {
        imageRef: {
          name: image.name,
          ...(image.namespace !== ns ? { namespace: image.namespace } : {}),
        },
      },
    },
  };
}

/** The image a VolumeOperation re-makes its volume from, as it names it. */
function imageOf(volOp: VolumeOperationObject): ImageName | undefined {
  const ref = volOp.spec.reimage?.imageRef;
  if (!ref) return undefined;
  return { name: ref.name, namespace: ref.namespace ?? volOp.metadata.namespace ?? '' };
}

/** How the rebuild goes, as status.rebuild says it. */
export function rebuildProgress(
  volume: string,
  image: ImageName,
  volOp: VolumeOperationObject | undefined,
  name: string,
): RebuildProgress {
  const ready = getCondition(volOp?.status?.conditions, 'Ready');
  return {
    volumeOperation: name,
    volume,
    image: (volOp && imageOf(volOp)) ?? image,
    phase: volOp?.status?.phase ?? 'Pending',
    ...(ready && ready.status !== 'True' && ready.reason ? { reason: ready.reason } : {}),
    ...(ready?.message ? { message: ready.message } : {}),
  };
}
