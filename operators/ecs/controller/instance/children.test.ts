import { describe, expect, it } from '@jest/globals';
import type { ImageObject, InstanceObject } from '../../api/index.ts';
import {
  bootVolume,
  bootVolumeSize,
  instanceLabel,
  instanceUidAnnotation,
  networkInterfaces,
  volumeAttachments,
} from './children.ts';

const GiB = 1024 ** 3;

const instance = (spec: Partial<InstanceObject['spec']> = {}): InstanceObject => ({
  apiVersion: 'ecs.kcloud.io/v1alpha1',
  kind: 'Instance',
  metadata: { name: 'web-1', namespace: 't1', uid: 'uid-web-1' },
  spec: { flavorRef: { name: 'small' }, imageRef: { name: 'debian' }, ...spec },
});

const image = (
  spec: Partial<ImageObject['spec']> = {},
  virtualSizeBytes: number | null = 2.5 * GiB,
): ImageObject => ({
  apiVersion: 'ecs.kcloud.io/v1alpha1',
  kind: 'Image',
  metadata: { name: 'debian', namespace: 't1' },
  spec: { source: { url: { url: 'http://x/y', sha256: 'a'.repeat(64) } }, ...spec },
  status: virtualSizeBytes === null ? {} : { virtualSizeBytes },
});

const owner = {
  apiVersion: 'ecs.kcloud.io/v1alpha1',
  kind: 'Instance',
  name: 'web-1',
  uid: 'uid-web-1',
  controller: true,
  blockOwnerDeletion: true,
};

describe('the boot volume', () => {
  it('is a clone of the image, owned by the instance, sized to the image rounded up to GiB', () => {
    expect(bootVolume(instance(), image())).toEqual({
      apiVersion: 'evs.kcloud.io/v1alpha1',
      kind: 'Volume',
      metadata: {
        name: 'web-1-boot',
        namespace: 't1',
        labels: { [instanceLabel]: 'web-1' },
        annotations: { [instanceUidAnnotation]: 'uid-web-1' },
        ownerReferences: [owner],
      },
      spec: { size: '3Gi', source: { image: { name: 'debian' } } },
    });
  });

  it('takes the size asked for, else the image’s minimum disk', () => {
    expect(bootVolumeSize(instance({ bootVolume: { size: '20Gi' } }), image())).toBe('20Gi');
    expect(bootVolumeSize(instance(), image({ minDiskGiB: 8 }))).toBe('8Gi');
    expect(bootVolumeSize(instance(), image({}, 1))).toBe('1Gi');
  });

  it('waits for the image’s size, and names a public image’s namespace and the type', () => {
    expect(bootVolume(instance(), image({}, null))).toBeUndefined();
    const v = bootVolume(
      instance({
        imageRef: { name: 'debian', namespace: 'kcloud-public' },
        bootVolume: { volumeTypeRef: { name: 'ssd' } },
      }),
      image(),
    );
    expect(v?.spec).toEqual({
      size: '3Gi',
      source: { image: { name: 'debian', namespace: 'kcloud-public' } },
      volumeTypeRef: { name: 'ssd' },
    });
  });

  it('is not owned by the instance when the user keeps it', () => {
    expect(bootVolume(instance({ keepBootVolume: true }), image())?.metadata.ownerReferences).toBe(
      undefined,
    );
  });
});

describe('network interfaces', () => {
  it('are made for interfaces given by Subnet, not for existing ones', () => {
    const nics = networkInterfaces(
      instance({
        networkInterfaces: [
          {
            name: 'eth0',
            primary: true,
            subnetRef: { name: 'web' },
            securityGroupRefs: [{ name: 'web' }],
            ipAddress: '10.0.1.10',
          },
          { name: 'eth1', networkInterfaceRef: { name: 'mgmt' } },
        ],
      }),
    );
    expect(nics).toEqual([
      {
        apiVersion: 'vpc.kcloud.io/v1alpha1',
        kind: 'NetworkInterface',
        metadata: {
          name: 'web-1-eth0',
          namespace: 't1',
          labels: { [instanceLabel]: 'web-1' },
          annotations: { [instanceUidAnnotation]: 'uid-web-1' },
          ownerReferences: [owner],
        },
        spec: {
          subnetRef: { name: 'web' },
          securityGroupRefs: [{ name: 'web' }],
          ipAddress: '10.0.1.10',
        },
      },
    ]);
  });
});

describe('network interfaces of a Flavor with NIC bandwidth', () => {
  it('are limited to it each way', () => {
    const [eth0] = networkInterfaces(
      instance({ networkInterfaces: [{ name: 'eth0', subnetRef: { name: 'web' } }] }),
      200,
    );
    expect(eth0?.spec).toEqual({
      subnetRef: { name: 'web' },
      bandwidth: { egressMbps: 200, ingressMbps: 200 },
    });
  });
});

describe('volume attachments', () => {
  it('attach the boot volume and every data volume, in order, on the instance’s host', () => {
    const atts = volumeAttachments(
      instance({ dataVolumes: [{ name: 'data' }, { name: 'logs' }] }),
      'host-a',
    );
    expect(atts.map((a) => [a.metadata.name, a.spec])).toEqual([
      [
        'web-1-web-1-boot',
        { volumeRef: { name: 'web-1-boot' }, instanceRef: { name: 'web-1' }, host: 'host-a' },
      ],
      [
        'web-1-data',
        { volumeRef: { name: 'data' }, instanceRef: { name: 'web-1' }, host: 'host-a' },
      ],
      [
        'web-1-logs',
        { volumeRef: { name: 'logs' }, instanceRef: { name: 'web-1' }, host: 'host-a' },
      ],
    ]);
    expect(atts.every((a) => a.metadata.ownerReferences?.[0]?.uid === 'uid-web-1')).toBe(true);
  });

  it('leave the boot volume detached while a rebuild re-makes it', () => {
    const atts = volumeAttachments(instance({ dataVolumes: [{ name: 'data' }] }), 'host-a', {
      bootDetached: true,
    });
    expect(atts.map((a) => a.metadata.name)).toEqual(['web-1-data']);
  });
});
