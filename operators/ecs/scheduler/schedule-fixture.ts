// Objects for the scheduler's unit tests: hosts, instances and the world around them.
import type { StoragePoolObject, VolumeObject } from '../../evs/api/index.ts';
import {
  hostLabel,
  topologyLabels,
  type DeploymentSetObject,
  type FlavorObject,
  type HostObject,
  type ImageObject,
  type InstanceObject,
  type InstanceSpec,
} from '../api/index.ts';
import { computeHost, type ComputeHost } from './hosts.ts';
import type { Placements } from './ledger.ts';
import type { InterfaceView, ScheduleInput } from './schedule.ts';

export const GiB = 1024 ** 3;

const cond = (type: string, status: 'True' | 'False' | 'Unknown') => ({
  type,
  status,
  reason: 'Test',
  message: '',
  lastTransitionTime: '2026-01-01T00:00:00Z',
});

export interface HostOptions {
  vcpu?: number;
  memoryGiB?: number;
  ready?: boolean;
  cordoned?: boolean;
  arch?: 'x86_64' | 'aarch64';
  rack?: string;
  hostGroup?: string;
  labels?: Record<string, string>;
  pools?: string[];
  noCapacity?: boolean;
}

export function hostObject(name: string, o: HostOptions = {}): HostObject {
  const ready = o.ready ?? true;
  const labels: Record<string, string> = { ...o.labels };
  if (o.rack !== undefined) labels[topologyLabels.rack] = o.rack;
  if (o.hostGroup !== undefined) labels[topologyLabels.hostGroup] = o.hostGroup;
  const memoryBytes = (o.memoryGiB ?? 64) * GiB;
  return {
    apiVersion: 'ecs.kcloud.io/v1alpha1',
    kind: 'Host',
    metadata: { name, labels },
    spec: o.cordoned ? { unschedulable: true } : {},
    status: {
      conditions: [
        cond('Ready', ready ? 'True' : 'Unknown'),
        cond('Schedulable', ready && !o.cordoned ? 'True' : 'False'),
      ],
      ...(o.noCapacity
        ? {}
        : {
            allocatable: { vcpu: o.vcpu ?? 16, memoryBytes },
            capacity: { vcpu: o.vcpu ?? 16, memoryBytes },
          }),
      cpu: { model: 'test', arch: o.arch ?? 'x86_64' },
      storagePools: (o.pools ?? ['ceph']).map((p) => ({ name: p })),
    },
  };
}

export const host = (name: string, o: HostOptions = {}): ComputeHost =>
  computeHost(hostObject(name, o));

export function instance(
  name: string,
  spec: Partial<InstanceSpec> = {},
  labels: Record<string, string> = {},
  uid = `uid-${name}`,
): InstanceObject {
  return {
    apiVersion: 'ecs.kcloud.io/v1alpha1',
    kind: 'Instance',
    metadata: { name, namespace: 'ns', uid, labels },
    spec: { flavorRef: { name: 'small' }, imageRef: { name: 'debian' }, ...spec },
  };
}

/** The instance as the cache shows it once bound to `host`, holding its flavor's share. */
export function bound(i: InstanceObject, host: string, vcpu = 1, memoryGiB = 2): InstanceObject {
  return {
    ...i,
    metadata: { ...i.metadata, labels: { ...i.metadata.labels, [hostLabel]: host } },
    status: { allocated: { vcpu, memoryBytes: memoryGiB * GiB } },
  };
}

export const flavors: FlavorObject[] = [
  { vcpu: 1, memory: '2Gi', name: 'small' },
  { vcpu: 4, memory: '8Gi', name: 'large' },
  { vcpu: 2, memory: '32Gi', name: 'fat' },
  { vcpu: 1, memory: '2Gi', name: 'capped', cpuQuotaPercent: 50, nicBandwidthMbps: 100 },
].map(({ name, ...spec }) => ({
  apiVersion: 'ecs.kcloud.io/v1alpha1',
  kind: 'Flavor',
  metadata: { name },
  spec,
}));

export function image(
  name: string,
  o: { arch?: 'x86_64' | 'aarch64'; pool?: string; host?: string; minMemoryMiB?: number } = {},
): ImageObject {
  return {
    apiVersion: 'ecs.kcloud.io/v1alpha1',
    kind: 'Image',
    metadata: { name, namespace: 'ns' },
    spec: {
      source: { url: { url: 'http://127.0.0.1/x.qcow2', sha256: 'a'.repeat(64) } },
      arch: o.arch ?? 'x86_64',
      ...(o.minMemoryMiB !== undefined ? { minMemoryMiB: o.minMemoryMiB } : {}),
    },
    status: {
      storagePool: o.pool ?? 'ceph',
      ...(o.host !== undefined ? { host: o.host } : {}),
    },
  };
}

export const pools: StoragePoolObject[] = [
  {
    apiVersion: 'evs.kcloud.io/v1alpha1',
    kind: 'StoragePool',
    metadata: { name: 'ceph' },
    spec: {
      type: 'RBD',
      rbd: {
        monitors: ['127.0.0.1:6789'],
        pool: 'rbd',
        user: 'kcloud',
        secretRef: { name: 'ceph', namespace: 'kcloud-system' },
      },
    },
  },
  {
    apiVersion: 'evs.kcloud.io/v1alpha1',
    kind: 'StoragePool',
    metadata: { name: 'local' },
    spec: { type: 'File', file: { path: '/pools/local', scope: 'Local' } },
  },
];

export function volume(
  name: string,
  pool: string,
  host?: string,
  attachedTo?: string,
): VolumeObject {
  return {
    apiVersion: 'evs.kcloud.io/v1alpha1',
    kind: 'Volume',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      ...(host !== undefined ? { labels: { [hostLabel]: host } } : {}),
    },
    spec: { size: '10Gi' },
    status: {
      storagePool: pool,
      ...(host !== undefined ? { host } : {}),
      ...(attachedTo !== undefined
        ? { attachments: [{ instance: attachedTo, host: host ?? 'h1' }] }
        : {}),
    },
  };
}

export function deploymentSet(
  name: string,
  spec: DeploymentSetObject['spec'] = {},
): DeploymentSetObject {
  return {
    apiVersion: 'ecs.kcloud.io/v1alpha1',
    kind: 'DeploymentSet',
    metadata: { name, namespace: 'ns' },
    spec,
  };
}

export interface WorldOptions {
  hosts: ComputeHost[];
  placements: Placements;
  images?: ImageObject[];
  volumes?: VolumeObject[];
  sets?: DeploymentSetObject[];
  policy?: 'Spread' | 'Pack';
  bootVolume?: string;
  nics?: InterfaceView[];
}

/** A NetworkInterface in the instances' namespace, with these limits. */
export function nic(
  name: string,
  bandwidth?: { egressMbps?: number; ingressMbps?: number },
  reserveOnly?: boolean,
) {
  return {
    apiVersion: 'vpc.kcloud.io/v1alpha1',
    kind: 'NetworkInterface',
    metadata: { name, namespace: 'ns' },
    spec: { ...(bandwidth ? { bandwidth } : {}), ...(reserveOnly ? { reserveOnly } : {}) },
  } satisfies InterfaceView;
}

/** A schedule input for `i` over the given world. */
export function input(i: InstanceObject, w: WorldOptions): ScheduleInput {
  const images = w.images ?? [image('debian')];
  return {
    instance: i,
    hosts: w.hosts,
    placements: w.placements,
    flavor: (n) => flavors.find((f) => f.metadata.name === n),
    image: (ns, n) => images.find((x) => x.metadata.namespace === ns && x.metadata.name === n),
    volume: (ns, n) =>
      (w.volumes ?? []).find((v) => v.metadata.namespace === ns && v.metadata.name === n),
    pool: (n) => pools.find((p) => p.metadata.name === n),
    deploymentSet: (ns, n) =>
      (w.sets ?? []).find((s) => s.metadata.namespace === ns && s.metadata.name === n),
    networkInterface: (ns, n) =>
      (w.nics ?? []).find((x) => x.metadata.namespace === ns && x.metadata.name === n),
    policy: w.policy ?? 'Spread',
    ...(w.bootVolume !== undefined ? { bootVolume: w.bootVolume } : {}),
  };
}
