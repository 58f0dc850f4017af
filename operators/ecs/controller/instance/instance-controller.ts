// The ECS operator's Instance controller in kcloud-manager: it makes an Instance's boot Volume
// and NetworkInterfaces, schedules it onto a Host, binds it there (the label the host's agent
// watches, with the finalizers that keep it until its VM is stopped), attaches its disks with
// VolumeAttachments (the boot disk not while a rebuild re-makes it), and sums up Ready from its
// own Scheduled and the agent's Provisioned.
import {
  keptFields,
  type ManagedStatus,
  type PhaseSummary,
} from '../../../../controllers/external/index.ts';
import { hostLabel } from '../../../../controllers/host/index.ts';
import { derivedView, type Informer } from '../../../../controllers/informer/index.ts';
import { objectKey, type KubeObject } from '../../../../controllers/kube/index.ts';
import type { Manager } from '../../../../controllers/manager/index.ts';
import { specOrReadinessChanged } from '../../../../controllers/reconcile/index.ts';
import { addManagedController, watch } from '../../../../controllers/wiring/index.ts';
import { StoragePool, Volume, VolumeAttachment } from '../../../evs/api/index.ts';
import type { StoragePoolObject, VolumeObject } from '../../../evs/api/index.ts';
import {
  DeploymentSet,
  Flavor,
  Host,
  Image,
  Instance,
  InstanceOperation,
  ecsFinalizer,
  networkFencedCondition,
  pendingRebuildOf,
  provisionedCondition,
  rebuildingReason,
  scheduledCondition,
  vmFinalizer,
  type DeploymentSetObject,
  type FlavorObject,
  type HostObject,
  type ImageObject,
  type InstanceObject,
  type InstanceOperationObject,
  type InstanceStatus,
} from '../../api/index.ts';
import { rebuildUnderway } from '../operation/rebuild.ts';
import {
  computeHost,
  PlacementLedger,
  requestedResources,
  sameComputeHost,
  type ScoringPolicy,
} from '../../scheduler/index.ts';
import { secretResource, type SecretObject } from '../host-secret-copy.ts';
import { CheckedCopies } from './checked-copies.ts';
import { instanceLabel } from './children.ts';
import { networkFenced } from './nic-fence.ts';
import {
  instanceClient,
  type ChildKind,
  type InstancePlacement,
  type InstanceWorld,
} from './instance-client.ts';
import { NetworkInterface } from '../../../vpc/api/index.ts';

export const instanceControllerName = 'ecs-instance-scheduler';

/** The VPC product's NetworkInterfaces an instance's NICs are. */
const networkInterfaceResource = NetworkInterface.resource;

export interface InstanceControllerOptions {
  policy: ScoringPolicy;
  /** Where the copies of VNC passwords go: the namespace whose Secrets agents may read. */
  hostsNamespace: string;
  workers?: number;
}

type ManagerPart = Pick<
  InstanceStatus,
  'host' | 'allocated' | 'limits' | 'bootVolume' | 'interfaces' | 'vncPasswordSecretRef'
>;
const managerFields = [
  'host',
  'allocated',
  'limits',
  'bootVolume',
  'interfaces',
  'vncPasswordSecretRef',
] as const;

const desiredPhase = (i: InstanceObject) =>
  i.spec.powerState ?? (i.spec.runStrategy === 'Halted' ? 'Stopped' : 'Running');

/** The phase from the summary: Pending until placed, Starting until the agent says so. */
export function instancePhase(instance: InstanceObject, s: PhaseSummary): string {
  if (s.deleting) return 'Deleting';
  switch (s.outcome.state) {
    case 'Ready':
      return desiredPhase(instance);
    case 'Stalled':
      return 'Failed';
    case 'Unknown':
      return 'Unknown';
    case 'Reconciling':
      // A resize waiting for room leaves the VM as it runs.
      if (s.outcome.reason === 'ResizeWaitsForCapacity') return desiredPhase(instance);
      // Off while a rebuild re-makes its boot volume.
      if (s.outcome.reason === rebuildingReason) return 'Stopped';
      return s.decidedBy === scheduledCondition ? 'Pending' : 'Starting';
  }
}

export function addInstanceController(mgr: Manager, opts: InstanceControllerOptions): void {
  const instances = mgr.informer<InstanceObject>(Instance.resource);
  const flavors = mgr.informer<FlavorObject>(Flavor.resource);
  const images = mgr.informer<ImageObject>(Image.resource);
  const hosts = mgr.informer<HostObject>(Host.resource);
  const sets = mgr.informer<DeploymentSetObject>(DeploymentSet.resource);
  const volumes = mgr.informer<VolumeObject>(Volume.resource);
  const pools = mgr.informer<StoragePoolObject>(StoragePool.resource);
  const nics = mgr.informer<KubeObject & { status?: { ipAddress?: string; macAddress?: string } }>(
    networkInterfaceResource,
  );
  const attachments = mgr.informer<KubeObject>(VolumeAttachment.resource);
  const operations = mgr.informer<InstanceOperationObject>(InstanceOperation.resource);
  const key = (namespace: string, name: string) => `${namespace}/${name}`;

  // What every host holds: the bound instances the cache shows plus the bindings decided here
  // and not yet seen (assumed), so a burst of decisions never over-commits a host.
  const ledger = new PlacementLedger();
  const resolve = (i: InstanceObject) => {
    const r = requestedResources(i, (name) => flavors.cache.get(name));
    return 'missingFlavor' in r ? undefined : r;
  };
  const checked = new CheckedCopies();
  instances.addHandler({
    onAdd: (i) => {
      ledger.observe(i, resolve);
    },
    onUpdate: (_old, i) => {
      ledger.observe(i, resolve);
    },
    onDelete: (i) => {
      ledger.remove(i.metadata.uid ?? '');
      checked.forget(i.metadata.uid ?? '');
    },
  });

  // Hosts as the scheduler sees them, converted once per Host change that alters what it reads:
  // a decision reads the list, and thousands of hosts must not be walked again for each of
  // thousands of instances.
  const computed = derivedView(hosts, computeHost, sameComputeHost);

  const childInformers: Record<ChildKind, Informer<KubeObject>> = {
    Volume: volumes as unknown as Informer<KubeObject>,
    NetworkInterface: nics,
    VolumeAttachment: attachments,
  };
  const world: InstanceWorld = {
    get hosts() {
      return computed.list();
    },
    policy: opts.policy,
    flavor: (name) => flavors.cache.get(name),
    deploymentSet: (ns, name) => sets.cache.get(key(ns, name)),
    image: (ns, name) => images.cache.get(key(ns, name)),
    volume: (ns, name) => volumes.cache.get(key(ns, name)),
    pool: (name) => pools.cache.get(name),
    child: (kind, ns, name) => childInformers[kind].cache.get(key(ns, name)),
    attachmentsOf: (i) =>
      attachments.cache
        .withLabels({ [instanceLabel]: i.metadata.name ?? '' })
        .filter((a) => a.metadata.namespace === i.metadata.namespace),
    networkInterface: (ns, name) => nics.cache.get(key(ns, name)),
    hostChassis: (name) => hosts.cache.get(name)?.status?.chassis,
    rebuilding: (i) =>
      operations.cache
        .inNamespace(i.metadata.namespace ?? '')
        .some((op) => pendingRebuildOf(op, i) && rebuildUnderway(op)),
  };

  // The instances that name an object of their namespace, for the watches below: looked up on
  // every event of a Volume or an interface, where a scan of the namespace's instances each
  // time grew with the square of their number.
  const naming = (what: string, names: (i: InstanceObject) => (string | undefined)[]) => {
    const lookup = instances.cache.ensureIndexer(`ecs.${what}`, (i) =>
      names(i).flatMap((n) => (n === undefined ? [] : [key(i.metadata.namespace ?? '', n)])),
    );
    return (o: KubeObject) =>
      lookup(key(o.metadata.namespace ?? '', o.metadata.name ?? '')).map(objectKey);
  };
  const namingSet = naming('deploymentSet', (i) => [i.spec.placement?.deploymentSetRef?.name]);
  const namingVolume = naming('dataVolume', (i) => (i.spec.dataVolumes ?? []).map((d) => d.name));
  const namingInterface = naming('networkInterface', (i) =>
    (i.spec.networkInterfaces ?? []).map((x) => x.networkInterfaceRef?.name),
  );
  const ofChild = (o: KubeObject) => {
    const owner = o.metadata.labels?.[instanceLabel];
    return owner !== undefined ? [key(o.metadata.namespace ?? '', owner)] : [];
  };
  const unbound = () =>
    instances.cache
      .list()
      .filter((i) => i.status?.host === undefined)
      .map(objectKey);

  addManagedController<
    InstanceObject & { status?: ManagedStatus & ManagerPart },
    ManagedStatus & ManagerPart,
    InstancePlacement
  >(mgr, {
    name: instanceControllerName,
    resource: Instance.resource,
    informer: instances,
    workers: opts.workers ?? 4,
    // A bound instance first: its next look turns it Running once its agent reports (or frees
    // its room when it goes). Creates arriving faster than decisions must not hold back the
    // instances already placed, or none runs until every create has been looked at once. The
    // label counts: the binding's own event comes before its status says the host.
    priority: (k) => {
      const i = instances.cache.get(k);
      return i?.metadata.labels?.[hostLabel] !== undefined || i?.status?.host !== undefined ? 1 : 0;
    },
    reconciler: {
      finalizer: ecsFinalizer,
      finalizerAddedBy: 'client',
      external: () =>
        instanceClient({
          world,
          ledger,
          instances: mgr.client<InstanceObject>(Instance.resource),
          children: {
            Volume: mgr.client<KubeObject>(Volume.resource),
            NetworkInterface: mgr.client<KubeObject>(networkInterfaceResource),
            VolumeAttachment: mgr.client<KubeObject>(VolumeAttachment.resource),
          },
          secrets: mgr.client<SecretObject>(secretResource),
          hostsNamespace: opts.hostsNamespace,
          checked,
          // The host agent's too, in the same write: deletion waits for the VM to be gone.
          finalizers: [ecsFinalizer, vmFinalizer],
          fieldManager: instanceControllerName,
        }),
      status: (i, observation) => {
        const o = observation.observed;
        if (!o) return keptFields(i.status, managerFields);
        return {
          host: o.host,
          allocated: o.allocated,
          ...(o.limits ? { limits: o.limits } : {}),
          bootVolume: o.bootVolume,
          interfaces: o.interfaces,
          vncPasswordSecretRef: { name: o.vncPasswordSecret },
        };
      },
      statusFields: managerFields,
      observedConditions: {
        types: [networkFencedCondition],
        of: (_i, observation) => {
          const o = observation.observed;
          return o ? networkFenced(o.host, o.chassis, o.interfaces.length) : [];
        },
      },
      role: {
        kind: 'summarizer',
        condition: scheduledCondition,
        contributors: [provisionedCondition],
        phase: instancePhase,
      },
    },
    watches: [
      watch(flavors, (f) =>
        instances.cache
          .list()
          .filter((i) => i.spec.flavorRef?.name === f.metadata.name)
          .map(objectKey),
      ),
      watch(images, (img) =>
        instances.cache
          .list()
          .filter(
            (i) =>
              i.spec.imageRef.name === img.metadata.name &&
              (i.spec.imageRef.namespace ?? i.metadata.namespace) === img.metadata.namespace,
          )
          .map(objectKey),
      ),
      // A host registering, turning Ready or reporting pools: the unplaced may go there.
      watch(hosts, unbound, specOrReadinessChanged),
      // A host's chassis known, changed or gone: the fence of what runs there follows.
      watch(
        hosts,
        (h) =>
          instances.cache
            .list()
            .filter((i) => i.status?.host === h.metadata.name)
            .map(objectKey),
        (o, n) => o.status?.chassis !== n.status?.chassis,
      ),
      watch(sets, namingSet),
      watch(volumes, (v) => [...ofChild(v), ...namingVolume(v)]),
      // Its own interfaces, and the ones it names: their bandwidth decides whether it may run.
      watch(nics, (n) => [...ofChild(n), ...namingInterface(n)]),
      watch(attachments, ofChild),
      // A rebuild starting or ending: the boot disk is detached, then attached again.
      watch(operations, (op) =>
        op.spec.action === 'rebuild'
          ? [key(op.metadata.namespace ?? '', op.spec.instanceRef.name)]
          : [],
      ),
      // An instance going frees room: those waiting look again (its last event, the delete,
      // comes after the ledger let go of it). Only deleting ones: every create would be n².
      watch(instances, (i) => (i.metadata.deletionTimestamp ? unbound() : [])),
    ],
  });
}
