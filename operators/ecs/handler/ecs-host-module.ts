// The ECS module of kcloud-agent: on each host it runs the Instances the scheduler bound there
// as QEMU VMs, with the disks EVS attached and the NICs VPC made, and reports what it sees
// (condition Provisioned, boot time, console). The VM is this module's (its finalizer): an
// Instance goes only once its VM is stopped and nothing of it is left on the host.
import { realClock } from '../../../controllers/clock/index.ts';
import type { ManagedStatus } from '../../../controllers/external/index.ts';
import {
  boundKind,
  type HostModule,
  type HostModuleContext,
} from '../../../controllers/host/index.ts';
import {
  errorMessage,
  isNotFound,
  objectKey,
  type KubeObject,
} from '../../../controllers/index.ts';
import type { PolicyRule } from '../../../controllers/manager/index.ts';
import { addManagedController, watch } from '../../../controllers/wiring/index.ts';
import {
  addFinalizer,
  hasFinalizer,
  removeFinalizer,
} from '../../../controllers/reconcile/index.ts';
import {
  quantityBytes,
  Volume,
  VolumeAttachment,
  VolumeSnapshot,
  volumeOpenFinalizer,
  type VolumeAttachmentObject,
  type VolumeObject,
  type VolumeSnapshotObject,
} from '../../evs/api/index.ts';
import {
  Host,
  Instance,
  InstanceOperation,
  pendingRebuildOf,
  provisionedCondition,
  guestAgentConnectedCondition,
  restartRequiredCondition,
  vmAgentFieldManager,
  vmAgentStatusFields,
  vmFinalizer,
  userDataCopyKey,
  userDataCopyName,
  vncPasswordCopyName,
  vncPasswordSecretKey,
  type InstanceOperationObject,
  type HostObject,
  type InstanceObject,
  type InstanceStatus,
} from '../api/index.ts';
import { VmRunner, type Vm } from '../backend/qemu/index.ts';
import { GuestAgents } from './guest-agents.ts';
import { CpuQuotas } from './cpu-quota.ts';
import { addLiveSnapshots } from './live-snapshots.ts';
import { vmConditions } from './vm-conditions.ts';
import { hostCopyReader } from './host-copy.ts';
import { instanceLabel } from '../controller/instance/children.ts';
import { configureEcsAgent, ecsAgentFlags, type EcsAgentConfig } from './flags.ts';
import { simulatedVmClient } from './simulated-vms.ts';
import { Taps } from './taps.ts';
import type { WantedDisk } from './device-plan.ts';
import { vmClient, type VmObserved } from './vm-client.ts';
import { addOperationAgent } from './operation-agent.ts';
import { addChassisReport } from './chassis.ts';
import type { Collected, VmHost } from './vm-host.ts';
import { removeVm } from './vm-lifecycle.ts';
import type { ReadyNic } from './vm-spec.ts';
import { NetworkInterface } from '../../vpc/api/index.ts';

/** The VPC product's NetworkInterfaces an instance's NICs are. */
const networkInterfaceResource = NetworkInterface.resource;

interface NicObject extends KubeObject {
  status?: { portName?: string; macAddress?: string };
}

export const ecsAgentRbac: PolicyRule[] = [
  {
    apiGroups: [Instance.group],
    resources: [Instance.plural],
    verbs: ['get', 'list', 'watch', 'patch'],
  },
  { apiGroups: [Instance.group], resources: [`${Instance.plural}/status`], verbs: ['patch'] },
  {
    apiGroups: [InstanceOperation.group],
    resources: [InstanceOperation.plural],
    verbs: ['get', 'list', 'watch', 'patch'],
  },
  {
    apiGroups: [InstanceOperation.group],
    resources: [`${InstanceOperation.plural}/status`],
    verbs: ['patch'],
  },
  // EVS's volumeOpenFinalizer on an attachment while QEMU has the volume open (finalizers only,
  // by the admission policy); a Volume's size, to grow its disk live.
  {
    apiGroups: [VolumeAttachment.group],
    resources: [VolumeAttachment.plural],
    verbs: ['get', 'list', 'watch', 'patch'],
  },
  { apiGroups: [Volume.group], resources: [Volume.plural], verbs: ['get', 'list', 'watch'] },
  // Snapshots of volumes its VMs have open, taken through the VM; its TakenLive condition.
  {
    apiGroups: [VolumeSnapshot.group],
    resources: [VolumeSnapshot.plural],
    verbs: ['get', 'list', 'watch'],
  },
  {
    apiGroups: [VolumeSnapshot.group],
    resources: [`${VolumeSnapshot.plural}/status`],
    verbs: ['patch'],
  },
  // An instance's NICs are read one by one, live: no host caches every NIC of the cloud.
  {
    apiGroups: [networkInterfaceResource.group],
    resources: [networkInterfaceResource.plural],
    verbs: ['get'],
  },
];

type AgentPart = Pick<InstanceStatus, 'bootTime' | 'console'>;
const agentFields = vmAgentStatusFields;

/** The QMP events after which the VM is looked at again. */
/**
 * QMP events after which the agent looks at the VM again: its run state; the guest opening or
 * closing a virtio-serial port (its guest agent starting or stopping); the guest's answer to an
 * ACPI hot-plug (a plugged vCPU it can now bring online).
 */
const stateEvents = new Set([
  'SHUTDOWN',
  'STOP',
  'RESUME',
  'RESET',
  'GUEST_PANICKED',
  'VSERPORT_CHANGE',
  'ACPI_DEVICE_OST',
]);

export function registerEcsAgent(ctx: HostModuleContext, config: EcsAgentConfig): void {
  const { mgr } = ctx;
  const instances = ctx.informer<InstanceObject>(Instance.resource);
  const attachments = ctx.informer<VolumeAttachmentObject>(VolumeAttachment.resource);
  const operations = ctx.informer<InstanceOperationObject>(InstanceOperation.resource);
  const hosts = ctx.informer<HostObject>(Host.resource);
  const nics_ = mgr.client<NicObject>(networkInterfaceResource);
  const readCopy = hostCopyReader(ctx);

  const runner = new VmRunner({
    stateDir: ctx.stateDir,
    qemu: config.qemu,
    launcher: config.vmLauncher,
  });
  const guestAgents = new GuestAgents(ctx.stateDir);
  const taps = new Taps({ netns: config.vmNetns, ovsDb: config.ovsDb, bridge: config.ovsBridge });

  // One handle per VM for as long as it lives here: one QMP connection, whose events and
  // closing (QEMU gone) bring the instance back to the queue.
  const handles = new Map<string, Vm>();
  const keys = new Map<string, string>();
  const hooked = new WeakSet<object>();
  let enqueue: (key: string) => void = () => undefined;
  const hook = async (uid: string, vm: Vm) => {
    if (!hooked.has(vm)) {
      hooked.add(vm);
      vm.onEvent((e) => {
        const key = keys.get(uid);
        if (key !== undefined && stateEvents.has(e.event)) enqueue(key);
      });
    }
    const qmp = await vm.monitor().catch(() => undefined);
    if (qmp && !hooked.has(qmp)) {
      hooked.add(qmp);
      void qmp.closed.then(() => {
        const key = keys.get(uid);
        if (key !== undefined && handles.get(uid) === vm) enqueue(key);
      });
    }
  };

  const key = (ns: string, name: string) => `${ns}/${name}`;

  const volumeClient = mgr.client<VolumeObject>(Volume.resource);
  const attachmentClient = mgr.client<VolumeAttachmentObject>(VolumeAttachment.resource);
  const volumes = ctx.informer<VolumeObject>(Volume.resource);
  const getLive = async <T extends KubeObject>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  /**
   * The Volume's size as asked, and its I/O limits: from this host's cache, else read (a pool
   * another host serves).
   */
  const volumeOf = async (ns: string, name: string, signal: AbortSignal) => {
    const v =
      volumes.cache.get(key(ns, name)) ?? (await getLive(() => volumeClient.get(ns, name, signal)));
    return v ? { sizeBytes: quantityBytes(v.spec.size), qos: v.status?.qos } : undefined;
  };
  const attachmentsOf = (i: InstanceObject) =>
    attachments.cache
      .inNamespace(i.metadata.namespace ?? '')
      .filter((a) => a.spec.instanceRef.name === i.metadata.name);

  async function collect(i: InstanceObject, signal: AbortSignal): Promise<Collected> {
    const ns = i.metadata.namespace ?? '';
    const accel = hosts.cache.list()[0]?.status?.hypervisor;
    const boot = i.status?.bootVolume;
    const wanted = [
      ...(boot !== undefined ? [boot] : []),
      ...(i.spec.dataVolumes ?? []).map((d) => d.name),
    ];
    const mine = attachmentsOf(i).filter((a) => a.metadata.deletionTimestamp === undefined);
    const disks: WantedDisk[] = [];
    const waitingDisks: string[] = [];
    for (const volume of wanted) {
      const a = mine.find((x) => x.spec.volumeRef.name === volume);
      const target = a?.status?.target;
      const vol = target ? await volumeOf(ns, volume, signal) : undefined;
      if (!a || !target || vol === undefined) waitingDisks.push(volume);
      else {
        disks.push({
          volume,
          target,
          readOnly: a.spec.readOnly ?? false,
          sizeBytes: vol.sizeBytes,
          ...(vol.qos ? { qos: vol.qos } : {}),
        });
      }
    }
    const nics: ReadyNic[] = [];
    const pendingNics: string[] = [];
    const made = new Map((i.status?.interfaces ?? []).map((m) => [m.name, m]));
    for (const asked of i.spec.networkInterfaces ?? []) {
      const nicName = made.get(asked.name)?.networkInterface;
      const nic =
        nicName === undefined ? undefined : await getLive(() => nics_.get(ns, nicName, signal));
      const portName = nic?.status?.portName;
      const mac = nic?.status?.macAddress;
      if (portName === undefined || mac === undefined) pendingNics.push(asked.name);
      else nics.push({ name: asked.name, portName, mac });
    }
    // The primary first: the guest names NICs by PCI slot, and the primary is eth0.
    const primary = (i.spec.networkInterfaces ?? []).find((n) => n.primary === true)?.name;
    nics.sort((x, y) => Number(y.name === primary) - Number(x.name === primary));
    return {
      ...(accel !== undefined ? { accel } : {}),
      ...(boot !== undefined ? { boot } : {}),
      disks,
      waitingDisks,
      nics,
      pendingNics,
    };
  }

  const forVolumes = (i: InstanceObject, volumesNamed: string[]) =>
    attachmentsOf(i).filter((a) => volumesNamed.includes(a.spec.volumeRef.name));

  const host: VmHost = {
    runner,
    taps,
    stateDir: ctx.stateDir,
    stopTimeoutMs: config.stopTimeoutMs,
    async handle(uid) {
      let vm = handles.get(uid);
      if (!vm) {
        vm = await runner.adopt(uid);
        if (!vm) return undefined;
        handles.set(uid, vm);
      }
      await hook(uid, vm);
      return vm;
    },
    started(uid, vm) {
      const old = handles.get(uid);
      if (old && old !== vm) old.disconnect();
      if (vm) {
        handles.set(uid, vm);
        void hook(uid, vm);
      } else handles.delete(uid);
    },
    collect,
    rebuilding: (i) =>
      operations.cache.inNamespace(i.metadata.namespace ?? '').find((op) => pendingRebuildOf(op, i))
        ?.metadata.name,
    async hold(i, names, signal) {
      for (const a of forVolumes(i, names)) {
        if (a.metadata.deletionTimestamp === undefined) {
          await addFinalizer(attachmentClient, a, volumeOpenFinalizer, signal);
        }
      }
    },
    releasable(i, open) {
      return attachmentsOf(i)
        .filter((a) => hasFinalizer(a, volumeOpenFinalizer) && !open.has(a.spec.volumeRef.name))
        .map((a) => a.spec.volumeRef.name);
    },
    async release(i, names, signal) {
      for (const a of forVolumes(i, names)) {
        await removeFinalizer(attachmentClient, a, volumeOpenFinalizer, signal).catch(
          (err: unknown) => {
            if (!isNotFound(err)) throw err;
          },
        );
      }
    },
    vncPassword: (i, signal) =>
      readCopy(vncPasswordCopyName(i.metadata.uid ?? ''), vncPasswordSecretKey, signal),
    userData: (i, signal) =>
      readCopy(userDataCopyName(i.metadata.uid ?? ''), userDataCopyKey, signal),
    // Short: a guest whose agent does not answer is asked on every look at its VM.
    withGuestAgent: (uid, fn) => guestAgents.use(uid, { timeoutMs: 3_000 }, fn),
    maxVcpus: config.maxVcpus,
    maxMemoryMiB: config.maxMemoryMiB,
    memoryRoomFromMiB: config.memoryRoomFromMiB,
    cpuQuota: new CpuQuotas({ cgroupFs: config.cgroupFs, parent: config.cgroupParent }),
    now: () => realClock.now(),
  };

  /** VMs being killed because their instance left this host (one removal each). */
  const moving = new Set<string>();
  const remember = (i: InstanceObject) => {
    keys.set(i.metadata.uid ?? '', objectKey(i));
  };
  instances.addHandler({
    onAdd: remember,
    onUpdate: (_o, i) => {
      remember(i);
    },
    onDelete: (i) => {
      const uid = i.metadata.uid ?? '';
      keys.delete(uid);
      // Gone from this host's view with its VM still here: not a deletion (that stops the VM
      // before the finalizer goes) but a move — the manager evacuated it while this host was
      // lost. It runs elsewhere now: killed at once, its volumes left alone.
      if (ctx.simulated || moving.has(uid)) return;
      moving.add(uid);
      void (async () => {
        if (!(await runner.list()).includes(uid)) return;
        mgr.log.warn('killing the VM of an instance moved off this host', {
          uid,
          instance: objectKey(i),
        });
        await removeVm(host, uid, undefined, undefined, true);
      })()
        .catch((err: unknown) => {
          mgr.log.error('removing the VM of a moved instance failed', {
            uid,
            error: errorMessage(err),
          });
        })
        .finally(() => moving.delete(uid));
    },
  });

  const controller = addManagedController<
    InstanceObject & { status?: ManagedStatus & AgentPart },
    ManagedStatus & AgentPart,
    VmObserved
  >(mgr, {
    name: vmAgentFieldManager,
    resource: Instance.resource,
    informer: instances,
    reconciler: {
      finalizer: vmFinalizer,
      external: () => (ctx.simulated ? simulatedVmClient() : vmClient(host)),
      status: (_i, observation) => {
        const o = observation.observed;
        if (!o) return {};
        return {
          ...(o.bootTime !== undefined ? { bootTime: o.bootTime } : {}),
          ...(o.vncEndpoint !== undefined ? { console: { vncEndpoint: o.vncEndpoint } } : {}),
        };
      },
      statusFields: agentFields,
      role: { kind: 'contributor', condition: provisionedCondition },
      observedConditions: {
        types: [guestAgentConnectedCondition, restartRequiredCondition],
        of: (_i, observation) => vmConditions(observation.observed),
      },
      // A VM that stopped on its own is seen by its QMP events; this catches what they miss.
      pollIntervalMs: 30_000,
    },
    // A resize: the manager's new allocation is what the VM is to have.
    wakeOnUpdate: (o, n) =>
      o.status?.allocated?.vcpu !== n.status?.allocated?.vcpu ||
      o.status?.allocated?.memoryBytes !== n.status?.allocated?.memoryBytes ||
      o.status?.limits?.cpuQuotaPercent !== n.status?.limits?.cpuQuotaPercent,
    watches: [
      // A Volume grown while attached: the instance using it grows its disk (block_resize).
      watch(
        volumes,
        (v) =>
          (v.status?.attachments ?? []).map((a) => key(v.metadata.namespace ?? '', a.instance)),
        (o, n) => o.spec.size !== n.spec.size,
      ),
      watch(attachments, (a) => {
        const owner = a.metadata.labels?.[instanceLabel];
        return owner !== undefined ? [key(a.metadata.namespace ?? '', owner)] : [];
      }),
      // A rebuild bound here, or ended: its VM is stopped and kept off, then started again.
      watch(operations, (op) =>
        op.spec.action === 'rebuild'
          ? [key(op.metadata.namespace ?? '', op.spec.instanceRef.name)]
          : [],
      ),
    ],
    workers: 4,
  });
  enqueue = (k) => {
    controller.queue.add(k);
  };

  addOperationAgent(ctx, instances, operations, (uid) => host.handle(uid), guestAgents);

  // Simulated hosts have no Open vSwitch, so no chassis: their instances' ports are not fenced.
  if (!ctx.simulated) addChassisReport(ctx, config.ovsDb);

  if (!ctx.simulated) {
    addLiveSnapshots({
      mgr,
      snapshots: ctx.informer<VolumeSnapshotObject>(VolumeSnapshot.resource),
      attachments,
      instances,
      vm: (uid) => host.handle(uid),
      // A guest that cannot freeze in this time gets a crash-consistent snapshot instead.
      withGuestAgent: (uid, fn) => guestAgents.use(uid, { timeoutMs: 10_000 }, fn),
      fieldManager: ctx.fieldManager,
      clock: realClock,
    });
  }

  // VMs of instances that are gone from the API, or were moved to another host, while the
  // agent was away: kept running is a leak nobody sees, or two VMs on one disk. Found by
  // their run directories, killed and removed.
  if (!ctx.simulated) {
    mgr.addRunnable({
      name: 'ecs-vm-orphans',
      run: async (signal) => {
        await instances.waitForSync(signal);
        if (signal.aborted) return;
        const known = new Set(instances.cache.list().map((i) => i.metadata.uid ?? ''));
        for (const uid of await runner.list()) {
          if (known.has(uid)) continue;
          try {
            // Killed, not shut down: an instance bound elsewhere (moved while this host was
            // lost) may already run there, on the same volumes.
            mgr.log.warn('killing the VM of an instance no longer bound to this host', { uid });
            await removeVm(host, uid, undefined, undefined, true);
          } catch (err) {
            mgr.log.error('removing the VM of a gone instance failed', {
              uid,
              error: errorMessage(err),
            });
          }
        }
      },
    });
  }
}

/** The ECS module as kcloud-agent runs it. */
export const ecsHostModule: HostModule<EcsAgentConfig> = {
  name: 'ecs',
  flags: ecsAgentFlags,
  configure: configureEcsAgent,
  rbac: ecsAgentRbac,
  hostBound: [...boundKind(Instance), ...boundKind(InstanceOperation)],
  register: (ctx, config) => {
    registerEcsAgent(ctx, config);
  },
};
