// The EVS operator's controllers in kcloud-manager: the status of pools and types from what
// hosts report, and the scheduler of volumes, snapshots, images and operations, which places
// each on a host and hands it to that host's agent by label. The data itself is the agents'.
import { keptFields, type ManagedStatus } from '../../../controllers/external/index.ts';
import { derivedView, type Informer } from '../../../controllers/informer/index.ts';
import type { Condition } from '../../../controllers/reconcile/index.ts';
import { objectKey, type KubeObject } from '../../../controllers/kube/index.ts';
import type { Manager } from '../../../controllers/manager/index.ts';
import { specOrReadinessChanged } from '../../../controllers/reconcile/index.ts';
import { addManagedController, watch } from '../../../controllers/wiring/index.ts';
import { Host, type HostObject } from '../../ecs/index.ts';
import { Image, type ImageObject, type ImageStatus } from '../../ecs/index.ts';
import {
  StoragePool,
  Volume,
  VolumeAttachment,
  VolumeOperation,
  VolumeSnapshot,
  VolumeType,
  type StoragePoolObject,
  type VolumeAttachmentObject,
  type StoragePoolStatus,
  type VolumeObject,
  type VolumeOperationObject,
  type VolumeSnapshotObject,
  type VolumeSnapshotStatus,
  type VolumeStatus,
  type VolumeTypeObject,
  type VolumeTypeStatus,
} from '../api/index.ts';
import {
  bindingClient,
  hostLabel,
  type Bound,
  type Decision,
} from '../../../controllers/host/index.ts';
import {
  agentStalled,
  attachedCondition,
  attachmentPhase,
  executedCondition,
  imagePhase,
  operationPhase,
  operationStalled,
  provisionedCondition,
  scheduledCondition,
  snapshotPhase,
  volumePhase,
} from './phases.ts';
import { hostView, sameHostView, type HostView } from './placement/hosts.ts';
import {
  placeAttachment,
  VolumeClaims,
  type AttachmentPlacementStatus,
} from './placement/attachment-placement.ts';
import { placeImage } from './placement/image-placement.ts';
import { placeOperation } from './placement/operation-placement.ts';
import { placeSnapshot } from './placement/snapshot-placement.ts';
import { placeVolume } from './placement/volume-placement.ts';
import { poolStatusClient, type PoolReport } from './pool-status.ts';
import { volumeTypeClient } from './type-status.ts';

/** The manager's finalizer on every EVS object; the agent holds `evsDataFinalizer`. */
export const evsFinalizer = 'evs.kcloud.io/cleanup';
/** The agent's finalizer: the object stays until its data is removed from the pool. */
export const evsDataFinalizer = 'evs.kcloud.io/data';

export interface EvsControllerOptions {
  workers?: number;
}

const key = (namespace: string | undefined, name: string) =>
  namespace ? `${namespace}/${name}` : name;

/**
 * Deletion waits for the agent to remove the data (its finalizer), saying where, or what the
 * agent says holds it up.
 */
function waitForAgent(
  obj: KubeObject & { status?: { conditions?: Condition[] } },
): { reason: string; message: string } | undefined {
  if (!obj.metadata.finalizers?.includes(evsDataFinalizer)) return undefined;
  const agent = obj.status?.conditions?.find(
    (c) => c.type === provisionedCondition || c.type === executedCondition,
  );
  if (agent?.status === 'False') return { reason: agent.reason, message: agent.message };
  const host = obj.metadata.labels?.[hostLabel] ?? 'its host';
  return {
    reason: 'WaitingForHost',
    message: `the agent of ${host} is removing the data from the pool`,
  };
}

/** The snapshots taken of a volume: it is not deleted while they exist. */
export function snapshotsOf(
  volume: VolumeObject,
  snapshots: readonly VolumeSnapshotObject[],
): VolumeSnapshotObject[] {
  return snapshots.filter(
    (s) =>
      s.status?.volumeUID === volume.metadata.uid ||
      (s.status?.volumeUID === undefined && s.spec.volumeRef.name === volume.metadata.name),
  );
}

export function hasSnapshots(
  volume: VolumeObject,
  snapshots: readonly VolumeSnapshotObject[],
): { reason: string; message: string } | undefined {
  const taken = snapshotsOf(volume, snapshots);
  if (taken.length === 0) return undefined;
  return {
    reason: 'HasSnapshots',
    message: `the Volume has ${String(taken.length)} VolumeSnapshots (${taken
      .slice(0, 5)
      .map((s) => s.metadata.name ?? '')
      .join(', ')}): delete them first; nothing is deleted until then`,
  };
}

export function addEvsControllers(mgr: Manager, opts: EvsControllerOptions = {}): void {
  const workers = opts.workers ?? 4;
  const hosts = mgr.informer<HostObject>(Host.resource);
  const pools = mgr.informer<StoragePoolObject>(StoragePool.resource);
  const types = mgr.informer<VolumeTypeObject>(VolumeType.resource);
  const volumes = mgr.informer<VolumeObject>(Volume.resource);
  const snapshots = mgr.informer<VolumeSnapshotObject>(VolumeSnapshot.resource);
  const images = mgr.informer<ImageObject>(Image.resource);
  const operations = mgr.informer<VolumeOperationObject>(VolumeOperation.resource);
  const attachments = mgr.informer<VolumeAttachmentObject>(VolumeAttachment.resource);
  // Looked up on every attachment event and volume status: a scan of the namespace's
  // attachments each time grew with the square of their number.
  const byVolume = attachments.cache.ensureIndexer('evs.volume', (a) => [
    key(a.metadata.namespace ?? '', a.spec.volumeRef.name),
  ]);
  const attachmentsOf = (namespace: string, volume: string) => byVolume(key(namespace, volume));
  /**
   * Who uses a volume: its attachments placed on a host, until they are gone (one being
   * deleted is held by its instance's agent until the disk is unplugged).
   */
  const placedOn = (a: VolumeAttachmentObject) => a.metadata.labels?.[hostLabel];
  const attachedTo = (v: VolumeObject) => {
    const byInstance = new Map<string, { instance: string; host: string }>();
    for (const a of attachmentsOf(v.metadata.namespace ?? '', v.metadata.name ?? '')) {
      if (placedOn(a) === undefined) continue;
      byInstance.set(a.spec.instanceRef.name, {
        instance: a.spec.instanceRef.name,
        host: a.spec.host,
      });
    }
    return [...byInstance.values()].sort((x, y) => x.instance.localeCompare(y.instance));
  };
  // A single-attach volume is claimed by the first attachment decided for it, in this process.
  const claims = new VolumeClaims();
  volumes.addHandler({
    onDelete: (v) => {
      claims.forget(objectKey(v));
    },
  });

  // Placement reads every host for each decision: converted once per Host change.
  const views = derivedView(hosts, hostView, sameHostView);
  const hostViews = (): readonly HostView[] => views.list();
  const hostReady = (name: string) => views.get(name)?.ready ?? false;
  // A Host update that changes what placement and the pools' status read of it (readiness,
  // cordon, the pools it reports): the pools' sums and the attachments waiting for a host to
  // reach their pool look again; the rest of a Host's status (its counters, its VMs) does not
  // concern them.
  const placementChanged = (o: HostObject, n: HostObject) =>
    !sameHostView(hostView(o), hostView(n)) || specOrReadinessChanged(o, n);
  const get =
    <T extends KubeObject>(informer: Informer<T>) =>
    (namespace: string, name: string) =>
      informer.cache.get(key(namespace, name));
  const pool = (name: string) => pools.cache.get(name);
  const everyKey =
    <T extends KubeObject>(informer: Informer<T>) =>
    () =>
      informer.cache.list().map(objectKey);
  // A host turning Ready, Unknown or cordoned changes what its objects say and where new ones go.
  const boundTo = <T extends KubeObject>(informer: Informer<T>) =>
    watch(
      hosts,
      (h) => informer.cache.withLabels({ [hostLabel]: h.metadata.name ?? '' }).map(objectKey),
      specOrReadinessChanged,
    );

  addManagedController<StoragePoolObject, StoragePoolStatus & ManagedStatus, PoolReport>(mgr, {
    name: 'evs-storagepool',
    resource: StoragePool.resource,
    informer: pools,
    workers,
    reconciler: {
      finalizer: evsFinalizer,
      external: () => poolStatusClient(hostViews),
      status: (_pool, observation) => observation.observed ?? { reachableHosts: 0 },
      deletionBlockedBy: (p) => {
        const name = p.metadata.name ?? '';
        const users = [
          ...types.cache.list().filter((t) => t.spec.storagePoolRef.name === name),
          ...images.cache.list().filter((i) => i.status?.storagePool === name),
          ...volumes.cache.list().filter((v) => v.status?.storagePool === name),
        ];
        if (users.length === 0) return undefined;
        const names = users.slice(0, 5).map((u) => `${u.kind} ${objectKey(u)}`);
        return {
          reason: 'InUse',
          message: `${String(users.length)} objects use the pool (${names.join(', ')}${users.length > 5 ? ', ...' : ''}): delete them first`,
        };
      },
    },
    // A host's report of its pools changes the pools' status.
    watches: [
      watch(hosts, (h) => (h.status?.storagePools ?? []).map((p) => p.name), placementChanged),
    ],
  });

  addManagedController<VolumeTypeObject, VolumeTypeStatus & ManagedStatus, undefined>(mgr, {
    name: 'evs-volumetype',
    resource: VolumeType.resource,
    informer: types,
    workers,
    reconciler: {
      finalizer: evsFinalizer,
      external: () => volumeTypeClient(pool),
      status: () => ({}),
      deletionBlockedBy: (t) => {
        const name = t.metadata.name ?? '';
        const users = volumes.cache.list().filter((v) => v.spec.volumeTypeRef?.name === name);
        return users.length === 0
          ? undefined
          : {
              reason: 'InUse',
              message: `${String(users.length)} Volumes name this type (${users.slice(0, 5).map(objectKey).join(', ')}): delete them first`,
            };
      },
    },
    watches: [
      watch(
        pools,
        (p) =>
          types.cache
            .list()
            .filter((t) => t.spec.storagePoolRef.name === p.metadata.name)
            .map(objectKey),
        specOrReadinessChanged,
      ),
    ],
  });

  // Every host-bound kind: the scheduler's part (Scheduled) summed with the agent's.
  const scheduled = <T extends KubeObject, S extends object>(
    name: string,
    informer: Informer<T>,
    resource: typeof Volume.resource,
    decide: (obj: T) => Decision<S>,
    fields: readonly (keyof S & string)[],
    contributor: string,
    phase: (obj: T, s: Parameters<typeof volumePhase>[1]) => string,
    deletionBlockedBy: (obj: T) => { reason: string; message: string } | undefined,
    watches: ReturnType<typeof watch>[],
    /** Fields summed from other objects, written with every outcome (deletion included). */
    derived?: (obj: T) => Partial<S>,
    stalled: (condition: Condition) => boolean = agentStalled,
  ) =>
    addManagedController<T & { status?: ManagedStatus & S }, ManagedStatus & S, Bound<S>>(mgr, {
      name,
      resource,
      informer: informer,
      workers,
      reconciler: {
        finalizer: evsFinalizer,
        finalizerAddedBy: 'client',
        // A placement is the host's and pool's in the status; the agent's event says when the
        // data is made there. An event per binding (a boot volume, an attachment per disk of
        // every instance) told no one anything more, at an API write each.
        successEvents: false,
        external: () =>
          bindingClient(mgr.client<T>(resource), decide, hostReady, [
            evsFinalizer,
            evsDataFinalizer,
          ]),
        status: (obj, observation) =>
          (observation.observed?.status ?? keptFields(obj.status, fields)) as Omit<
            ManagedStatus & S,
            keyof ManagedStatus
          >,
        ...(derived ? { derived } : {}),
        statusFields: fields as never,
        role: {
          kind: 'summarizer',
          condition: scheduledCondition,
          contributors: [contributor],
          phase,
          stalled,
        },
        deletionBlockedBy,
      },
      watches,
    });

  const volumeWorld = {
    get types() {
      return types.cache.list();
    },
    pool,
    get hosts() {
      return hostViews();
    },
    image: get(images),
    snapshot: get(snapshots),
    volume: get(volumes),
  };
  scheduled<VolumeObject, Pick<VolumeStatus, 'storagePool' | 'host' | 'qos' | 'attachments'>>(
    'evs-volume-scheduler',
    volumes,
    Volume.resource,
    (v) => placeVolume(v, volumeWorld),
    ['storagePool', 'host', 'qos', 'attachments'],
    provisionedCondition,
    volumePhase,
    (v) => {
      const users = attachedTo(v);
      return users.length > 0
        ? {
            reason: 'InUse',
            message: `the Volume is attached to ${users.map((a) => a.instance).join(', ')}: detach it; nothing is deleted until then`,
          }
        : (hasSnapshots(v, snapshots.cache.inNamespace(v.metadata.namespace ?? '')) ??
            waitForAgent(v));
    },
    [
      // A Volume waiting for its image, snapshot or source volume.
      watch(images, (i) =>
        volumes.cache
          .list()
          .filter((v) => v.spec.source?.image?.name === i.metadata.name)
          .map(objectKey),
      ),
      // A Volume made from a snapshot, and the snapshotted Volume (its deletion waits).
      watch(snapshots, (s) =>
        volumes.cache
          .inNamespace(s.metadata.namespace ?? '')
          .filter(
            (v) =>
              v.spec.source?.snapshot?.name === s.metadata.name ||
              v.metadata.name === s.spec.volumeRef.name,
          )
          .map(objectKey),
      ),
      // A type or pool appearing or turning Ready; their capacity churn does not matter here.
      watch(types, everyKey(volumes), specOrReadinessChanged),
      watch(pools, everyKey(volumes), specOrReadinessChanged),
      boundTo(volumes),
      // Its attachments are its status.attachments: one placed on a host (its label) counts,
      // whatever its own conditions say; their writes would wake every volume again.
      watch(
        attachments,
        (a) => [key(a.metadata.namespace, a.spec.volumeRef.name)],
        (o, n) => placedOn(o) !== placedOn(n) || o.spec.host !== n.spec.host,
      ),
    ],
    (v) => ({ attachments: attachedTo(v) }),
  );

  scheduled<VolumeSnapshotObject, Pick<VolumeSnapshotStatus, 'storagePool' | 'volumeUID'>>(
    'evs-snapshot-scheduler',
    snapshots,
    VolumeSnapshot.resource,
    (s) => placeSnapshot(s, get(volumes)),
    ['storagePool', 'volumeUID'],
    provisionedCondition,
    snapshotPhase,
    waitForAgent,
    [
      boundTo(snapshots),
      watch(volumes, (v) =>
        snapshots.cache
          .inNamespace(v.metadata.namespace ?? '')
          .filter((s) => s.spec.volumeRef.name === v.metadata.name)
          .map(objectKey),
      ),
    ],
  );

  const imageWorld = {
    get types() {
      return types.cache.list();
    },
    pool,
    get hosts() {
      return hostViews();
    },
    volume: get(volumes),
  };
  scheduled<ImageObject, Pick<ImageStatus, 'storagePool' | 'host'>>(
    'evs-image-scheduler',
    images,
    Image.resource,
    (i) => placeImage(i, imageWorld),
    ['storagePool', 'host'],
    provisionedCondition,
    imagePhase,
    waitForAgent,
    [
      watch(types, everyKey(images), specOrReadinessChanged),
      watch(pools, everyKey(images), specOrReadinessChanged),
      boundTo(images),
    ],
  );

  const attachmentWorld = {
    volume: get(volumes),
    pool,
    host: (name: string) => {
      return views.get(name);
    },
    attachmentsOf,
  };
  scheduled<VolumeAttachmentObject, AttachmentPlacementStatus>(
    'evs-attachment-scheduler',
    attachments,
    VolumeAttachment.resource,
    (a) => placeAttachment(a, attachmentWorld, claims),
    ['storagePool'],
    attachedCondition,
    attachmentPhase,
    waitForAgent,
    [
      boundTo(attachments),
      // The volume turning Available, placed or going away (its attachments' own sums, written
      // into it as they attach, are nothing for them to act on).
      watch(
        volumes,
        (v) => attachmentsOf(v.metadata.namespace ?? '', v.metadata.name ?? '').map(objectKey),
        (o, n) =>
          specOrReadinessChanged(o, n) ||
          o.status?.storagePool !== n.status?.storagePool ||
          o.metadata.labels?.[hostLabel] !== n.metadata.labels?.[hostLabel],
      ),
      // Another attachment of the same volume deleted: a waiting one may go now.
      watch(attachments, (a) =>
        attachmentsOf(a.metadata.namespace ?? '', a.spec.volumeRef.name)
          .filter((o) => o.metadata.uid !== a.metadata.uid)
          .map(objectKey),
      ),
      // A host starting to reach a Shared pool.
      watch(
        hosts,
        (h) =>
          attachments.cache
            .list()
            .filter((a) => a.spec.host === h.metadata.name)
            .map(objectKey),
        placementChanged,
      ),
    ],
  );

  scheduled<VolumeOperationObject, Record<string, never>>(
    'evs-operation-scheduler',
    operations,
    VolumeOperation.resource,
    (o) =>
      placeOperation(o, {
        volume: get(volumes),
        snapshot: get(snapshots),
        image: get(images),
        pool,
      }),
    [],
    executedCondition,
    operationPhase,
    waitForAgent,
    [
      watch(volumes, (v) =>
        operations.cache
          .inNamespace(v.metadata.namespace ?? '')
          .filter((o) => o.spec.volumeRef.name === v.metadata.name)
          .map(objectKey),
      ),
      // A reimage waiting for its image.
      watch(images, (i) =>
        operations.cache
          .list()
          .filter((o) => o.spec.reimage?.imageRef.name === i.metadata.name)
          .map(objectKey),
      ),
    ],
    undefined,
    operationStalled,
  );
}
