// The objects of other products an Instance is made of, as ECS wants them: its boot Volume
// (a copy-on-write clone of its Image), a NetworkInterface for each interface it asks for by
// Subnet, and a VolumeAttachment for each of its disks once it has a host. Each is owned by
// the Instance (deleted with it by the garbage collector), except a boot volume the user keeps.
import { controllerReference } from '../../../../controllers/reconcile/index.ts';
import type { KubeObject } from '../../../../controllers/kube/index.ts';
import type { ImageObject, InstanceObject } from '../../api/index.ts';

/** The label every child carries: the name of its Instance. */
export const instanceLabel = 'ecs.kcloud.io/instance';
/** And the annotation that says which Instance made it: a name alone could be anyone's. */
export const instanceUidAnnotation = 'ecs.kcloud.io/instance-uid';

const GiB = 1024 ** 3;

export interface Child extends KubeObject {
  apiVersion: string;
  kind: string;
  spec: Record<string, unknown>;
}

function child(
  instance: InstanceObject,
  apiVersion: string,
  kind: string,
  name: string,
  spec: Record<string, unknown>,
  owned = true,
): Child {
  return {
    apiVersion,
    kind,
    metadata: {
      name,
      namespace: instance.metadata.namespace,
      labels: { [instanceLabel]: instance.metadata.name ?? '' },
      annotations: { [instanceUidAnnotation]: instance.metadata.uid ?? '' },
      ...(owned ? { ownerReferences: [controllerReference(instance)] } : {}),
    },
    spec,
  };
}

export const bootVolumeName = (instance: InstanceObject) => `${instance.metadata.name ?? ''}-boot`;

/**
 * The boot volume's size: the one asked for, else the image's minimum disk, else its virtual
 * size rounded up to whole GiB (a Volume's size is whole GiB).
 */
export function bootVolumeSize(instance: InstanceObject, image: ImageObject): string | undefined {
  const asked = instance.spec.bootVolume?.size;
  if (asked !== undefined) return String(asked);
  if (image.spec.minDiskGiB !== undefined) return `${String(image.spec.minDiskGiB)}Gi`;
  const bytes = image.status?.virtualSizeBytes;
  if (bytes === undefined) return undefined;
  return `${String(Math.max(1, Math.ceil(bytes / GiB)))}Gi`;
}

/** The boot Volume, once the image's size is known; undefined until then. */
export function bootVolume(instance: InstanceObject, image: ImageObject): Child | undefined {
  const size = bootVolumeSize(instance, image);
  if (size === undefined) return undefined;
  const ref = instance.spec.imageRef;
  return child(
    instance,
    'evs.kcloud.io/v1alpha1',
    'Volume',
    bootVolumeName(instance),
    {
      size,
      source: {
        image: {
          name: ref.name,
          ...(ref.namespace !== undefined ? { namespace: ref.namespace } : {}),
        },
      },
      ...(instance.spec.bootVolume?.volumeTypeRef
        ? { volumeTypeRef: instance.spec.bootVolume.volumeTypeRef }
        : {}),
    },
    instance.spec.keepBootVolume !== true,
  );
}

export const interfaceName = (instance: InstanceObject, ifName: string) =>
  `${instance.metadata.name ?? ''}-${ifName}`;

/**
 * A NetworkInterface for each interface the Instance asks for by Subnet, limited each way to its
 * Flavor's nicBandwidthMbps when it sets one (OVN enforces it on the interface's port).
 */
export function networkInterfaces(instance: InstanceObject, nicBandwidthMbps?: number): Child[] {
  return (instance.spec.networkInterfaces ?? []).flatMap((nic) => {
    if (!nic.subnetRef) return [];
    return [
      child(
        instance,
        'vpc.kcloud.io/v1alpha1',
        'NetworkInterface',
        interfaceName(instance, nic.name),
        {
          subnetRef: nic.subnetRef,
          ...(nic.securityGroupRefs ? { securityGroupRefs: nic.securityGroupRefs } : {}),
          ...(nic.ipAddress !== undefined ? { ipAddress: nic.ipAddress } : {}),
          ...(nicBandwidthMbps !== undefined
            ? { bandwidth: { egressMbps: nicBandwidthMbps, ingressMbps: nicBandwidthMbps } }
            : {}),
        },
      ),
    ];
  });
}

/** The Volumes the Instance uses, boot first, by name. */
export function diskVolumes(instance: InstanceObject): string[] {
  return [bootVolumeName(instance), ...(instance.spec.dataVolumes ?? []).map((d) => d.name)];
}

export const attachmentName = (instance: InstanceObject, volume: string) =>
  `${instance.metadata.name ?? ''}-${volume}`;

/**
 * A VolumeAttachment for each disk, on the host the Instance is bound to; none for the boot
 * volume while a rebuild re-makes it (`bootDetached`).
 */
export function volumeAttachments(
  instance: InstanceObject,
  host: string,
  opts: { bootDetached?: boolean } = {},
): Child[] {
  const volumes = diskVolumes(instance);
  return (opts.bootDetached ? volumes.slice(1) : volumes).map((volume) =>
    child(
      instance,
      'evs.kcloud.io/v1alpha1',
      'VolumeAttachment',
      attachmentName(instance, volume),
      {
        volumeRef: { name: volume },
        instanceRef: { name: instance.metadata.name ?? '' },
        host,
      },
    ),
  );
}
