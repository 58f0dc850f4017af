// The EVS module of kcloud-agent: on each host it makes the volumes, snapshots, images and
// operations the scheduler bound to that host real in the pool, and reports the pools the host
// reaches. Each object's data is this module's (its finalizer); the status part it writes is
// its own condition (Provisioned, or Executed for an operation) and the fields it observed.
import { realClock } from '../../../controllers/clock/index.ts';
import type { Informer } from '../../../controllers/informer/index.ts';
import type { ManagedStatus } from '../../../controllers/external/index.ts';
import {
  objectKey,
  errorMessage,
  isNotFound,
  type KubeObject,
  type ResourceRef,
} from '../../../controllers/index.ts';
import type { PolicyRule } from '../../../controllers/manager/index.ts';
import { addManagedController, watch } from '../../../controllers/wiring/index.ts';
import {
  boundKind,
  type HostModule,
  type HostModuleContext,
} from '../../../controllers/host/index.ts';
import {
  Host,
  Image,
  type HostObject,
  type ImageObject,
  type ImageStatus,
} from '../../ecs/index.ts';
import type { ImageInfo, SnapshotInfo, VolumeInfo } from '../backend/index.ts';
import {
  StoragePool,
  Volume,
  VolumeAttachment,
  VolumeOperation,
  VolumeSnapshot,
  openVolume,
  type StoragePoolObject,
  type VolumeObject,
  type AttachTargetStatus,
  type VolumeAttachmentObject,
  type VolumeAttachmentStatus,
  type VolumeOperationObject,
  type VolumeOperationStatus,
  type VolumeSnapshotObject,
  type VolumeSnapshotStatus,
  type VolumeStatus,
} from '../api/index.ts';
import { evsDataFinalizer, hasSnapshots } from '../controller/evs-controllers.ts';
import {
  attachedCondition,
  executedCondition,
  provisionedCondition,
} from '../controller/phases.ts';
import { configureEvsAgent, evsAgentFlags, type EvsAgentConfig } from './flags.ts';
import { imageData, imageDataStatus } from './image-data.ts';
import { operationRecord, operationRun, type OperationRecord } from './operation-run.ts';
import { isPlaced, type PoolBackends } from './pool-backends.ts';
import { reportPools } from './pool-reporter.ts';
import { rbdBackend, secretResource, type SecretObject } from './rbd-backend.ts';
import { addEvsOrphanSweep } from './orphans.ts';
import { RealPoolBackends } from './real-pool-backends.ts';
import { SimulatedPools } from './simulated-pools.ts';
import { snapshotData, snapshotDataStatus, snapshotPlaced } from './snapshot-data.ts';
import type { SourceReader } from './sources.ts';
import { addEvsSharedOrphanSweep } from './shared-orphans.ts';
import { attachmentTarget } from './attachment-target.ts';
import { WakeableWait } from '../../../controllers/concurrency/index.ts';
import { volumeData, volumeDataStatus } from './volume-data.ts';

const boundKinds = [Volume, VolumeSnapshot, VolumeOperation, VolumeAttachment, Image] as const;

export const evsAgentRbac: PolicyRule[] = [
  ...boundKinds.map((k) => ({
    apiGroups: [k.group],
    resources: [k.plural],
    verbs: ['get', 'list', 'watch', 'patch'],
  })),
  ...boundKinds.map((k) => ({
    apiGroups: [k.group],
    resources: [`${k.plural}/status`],
    verbs: ['patch'],
  })),
  {
    apiGroups: [StoragePool.group],
    resources: [StoragePool.plural],
    verbs: ['get', 'list', 'watch'],
  },
];

/** Live reads of sources, which may be bound to another host (a Shared pool). */
function sourceReader(ctx: HostModuleContext): SourceReader {
  const read =
    <T extends KubeObject>(ref: ResourceRef) =>
    async (namespace: string, name: string, signal: AbortSignal) => {
      try {
        return await ctx.mgr.client<T>(ref).get(namespace, name, signal);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    };
  return {
    image: read<ImageObject>(Image.resource),
    snapshot: read<VolumeSnapshotObject>(VolumeSnapshot.resource),
    volume: read<VolumeObject>(Volume.resource),
  };
}

/** Registers the module's controllers; `backends` replaces the real pools (simulated hosts). */
export function registerEvsAgent(
  ctx: HostModuleContext,
  config: EvsAgentConfig,
  backends?: PoolBackends,
): void {
  const { mgr } = ctx;
  const pools = mgr.informer<StoragePoolObject>(StoragePool.resource);
  const secrets = mgr.client<SecretObject>(secretResource);
  const real = new RealPoolBackends({
    pools: pools.cache,
    importRoots: config.importRoots,
    hostRoot: config.hostRoot,
    rbd: (pool, signal) =>
      rbdBackend(
        pool,
        { secrets, stateDir: ctx.stateDir, importRoots: config.importRoots },
        signal,
      ),
    startedAt: new Date(realClock.now()),
    log: mgr.log,
  });
  // Simulated hosts answer from memory: a control-plane benchmark device, no disk touched.
  const pb =
    backends ?? (ctx.simulated ? new SimulatedPools((name) => pools.cache.get(name)) : real);
  const sources = sourceReader(ctx);
  const clock = realClock;

  const contributor = (condition: string) => ({ kind: 'contributor' as const, condition });

  const snapshots = ctx.informer<VolumeSnapshotObject>(VolumeSnapshot.resource);
  const volumes = ctx.informer<VolumeObject>(Volume.resource);
  const images = ctx.informer<ImageObject>(Image.resource);
  const attachments = ctx.informer<VolumeAttachmentObject>(VolumeAttachment.resource);
  const operations = ctx.informer<VolumeOperationObject>(VolumeOperation.resource);
  addManagedController<VolumeObject, VolumeStatus & ManagedStatus, VolumeInfo>(mgr, {
    name: 'evs-volume-agent',
    resource: Volume.resource,
    informer: volumes,
    reconciler: {
      // The pool refuses it too; this says so before trying, with the snapshots' names.
      deletionBlockedBy: (v) =>
        hasSnapshots(v, snapshots.cache.inNamespace(v.metadata.namespace ?? '')),
      finalizer: evsDataFinalizer,
      external: (v) => volumeData(v, { pools: pb, sources }),
      status: (_v, observation) => volumeDataStatus(observation),
      statusFields: ['sizeBytes', 'allocatedBytes', 'image'],
      role: contributor(provisionedCondition),
      actsOn: isPlaced,
      deletionPolicy: (v) => v.spec.deletionPolicy ?? 'Delete',
    },
    // A reimage that ended changed the data (and the image they were made from).
    watches: [
      watch(operations, (o) =>
        o.spec.reimage && o.status?.completionTime !== undefined
          ? [`${o.metadata.namespace ?? ''}/${o.spec.volumeRef.name}`]
          : [],
      ),
    ],
  });

  addManagedController<VolumeSnapshotObject, VolumeSnapshotStatus & ManagedStatus, SnapshotInfo>(
    mgr,
    {
      name: 'evs-snapshot-agent',
      resource: VolumeSnapshot.resource,
      informer: snapshots,
      reconciler: {
        finalizer: evsDataFinalizer,
        external: (s) =>
          snapshotData(s, pb, (o) =>
            openVolume(
              attachments.cache.inNamespace(o.metadata.namespace ?? ''),
              o.spec.volumeRef.name,
            ),
          ),
        status: (_s, observation) => snapshotDataStatus(observation.observed),
        statusFields: ['readyToUse', 'sizeBytes', 'creationTime'],
        role: contributor(provisionedCondition),
        actsOn: snapshotPlaced,
        deletionPolicy: (s) => s.spec.deletionPolicy ?? 'Delete',
      },
    },
  );

  addManagedController<ImageObject, ImageStatus & ManagedStatus, ImageInfo>(mgr, {
    name: 'evs-image-agent',
    resource: Image.resource,
    informer: images,
    reconciler: {
      finalizer: evsDataFinalizer,
      external: (i) =>
        imageData(i, {
          pools: pb,
          sources,
          hostNames: ctx.hosts,
          hostPath: (p) => real.hostPath(p),
          importRoots: config.importRoots,
        }),
      status: (_i, observation) => imageDataStatus(observation.observed),
      statusFields: ['format', 'virtualSizeBytes', 'sha256'],
      role: contributor(provisionedCondition),
      actsOn: isPlaced,
    },
  });

  addManagedController<
    VolumeOperationObject,
    VolumeOperationStatus & ManagedStatus,
    OperationRecord
  >(mgr, {
    name: 'evs-operation-agent',
    resource: VolumeOperation.resource,
    informer: operations,
    reconciler: {
      finalizer: evsDataFinalizer,
      external: (o) => operationRun(o, { pools: pb, sources, now: () => clock.now() }),
      status: (o, observation) => observation.observed ?? operationRecord(o),
      statusFields: ['startTime', 'completionTime'],
      role: contributor(executedCondition),
    },
  });

  const fencedRecorder = mgr.recorder('evs-attachment-agent');
  addManagedController<
    VolumeAttachmentObject,
    VolumeAttachmentStatus & ManagedStatus,
    AttachTargetStatus
  >(mgr, {
    name: 'evs-attachment-agent',
    resource: VolumeAttachment.resource,
    informer: attachments,
    reconciler: {
      finalizer: evsDataFinalizer,
      external: () =>
        attachmentTarget({
          pools: pb,
          sources,
          cachedVolume: (ns, name) => volumes.cache.get(`${ns}/${name}`),
          fenced: (a, clients) => {
            mgr.log.warn('cut off clients still holding a volume before attaching it here', {
              attachment: objectKey(a),
              volume: a.spec.volumeRef.name,
              clients,
            });
            fencedRecorder.event(
              {
                ...a,
                apiVersion: VolumeAttachment.apiVersion,
                kind: VolumeAttachment.kind,
                metadata: { ...a.metadata, name: a.metadata.name ?? '' },
              },
              'Warning',
              'ClientsFenced',
              'Attach',
              `Volume ${a.spec.volumeRef.name} was still open by ${clients.join(', ')} (a hypervisor on a lost host): cut off by the storage before attaching it here`,
            );
          },
        }),
      status: (_a, observation) => (observation.observed ? { target: observation.observed } : {}),
      statusFields: ['target'],
      role: contributor(attachedCondition),
    },
  });

  if (!ctx.simulated) {
    addEvsOrphanSweep({
      mgr,
      pools,
      backends: pb,
      owners: {
        Volume: { informer: volumes as unknown as Informer<KubeObject>, resource: Volume.resource },
        VolumeSnapshot: {
          informer: snapshots as unknown as Informer<KubeObject>,
          resource: VolumeSnapshot.resource,
        },
        Image: { informer: images as unknown as Informer<KubeObject>, resource: Image.resource },
      },
      periodMs: config.orphanSweepIntervalMs,
    });
    const [host] = ctx.hosts;
    if (host !== undefined) {
      addEvsSharedOrphanSweep({
        mgr,
        host,
        pools,
        hosts: Host.resource,
        backends: pb,
        owners: {
          Volume: Volume.resource,
          VolumeSnapshot: VolumeSnapshot.resource,
          Image: Image.resource,
        },
        periodMs: config.orphanSweepIntervalMs,
      });
    }
  }

  // The pools this host reaches: now, then every interval and whenever a pool changes.
  const hostClient = mgr.client<HostObject>(Host.resource);
  // The same host-scoped informer the agent's registration uses: no GET per host per round.
  const hostInformer = ctx.informer<HostObject>(Host.resource);
  const hostCache = hostInformer.cache;
  const pause = new WakeableWait();
  const poke = () => {
    pause.poke();
  };
  // A Host registered (or seen first) is reported at once, not at the next interval.
  hostInformer.addHandler({ onAdd: poke });
  pools.addHandler({
    onAdd: poke,
    onUpdate: (a, b) => {
      if (a.metadata.generation !== b.metadata.generation) poke();
    },
    onDelete: poke,
  });
  mgr.addRunnable({
    name: 'evs-pool-report',
    run: async (signal) => {
      const stopping = () => signal.aborted;
      while (!stopping()) {
        try {
          await reportPools(
            {
              hosts: ctx.hosts,
              pools: pools.cache,
              backends: pb,
              hostClient,
              hostCache,
              fieldManager: ctx.fieldManager,
              log: mgr.log,
              now: () => clock.now(),
            },
            signal,
          );
        } catch (err) {
          // Stopping aborts the report under way: that is no failure to tell.
          if (!stopping()) {
            mgr.log.warn('reporting storage pools failed', { error: errorMessage(err) });
          }
        }
        await pause.wait(config.poolReportIntervalMs, signal);
      }
    },
  });
}

/** The EVS module as kcloud-agent runs it. */
export const evsHostModule: HostModule<EvsAgentConfig> = {
  name: 'evs',
  flags: evsAgentFlags,
  configure: configureEvsAgent,
  rbac: evsAgentRbac,
  hostBound: boundKinds.flatMap(boundKind),
  register: (ctx, config) => {
    registerEvsAgent(ctx, config);
  },
};
