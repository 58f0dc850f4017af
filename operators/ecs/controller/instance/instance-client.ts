// The manager's side of an Instance, as the shared reconcile's external client: its "backend"
// is what the Instance is made of in other products (its boot Volume, the NetworkInterfaces it
// asks for by Subnet, a VolumeAttachment per disk once it has a host) and its binding to a
// host (the label that hands it to that host's agent, with the finalizers that keep it until
// its agent has stopped the VM). Observing decides where it belongs — the scheduler, with the
// ledger of assumed bindings — and compares; create/update write what is missing.
import {
  ReconcileError,
  type ExternalClient,
  type Observation,
} from '../../../../controllers/external/index.ts';
import { hostLabel } from '../../../../controllers/host/index.ts';
import {
  getCondition,
  ReadyCondition,
  StalledCondition,
  type Condition,
} from '../../../../controllers/reconcile/index.ts';
import {
  isApiError,
  type KubeObject,
  type ObjectClient,
} from '../../../../controllers/kube/index.ts';
import { requestedChassisAnnotation } from '../../../vpc/api/index.ts';
import {
  userDataCopyName,
  vncPasswordCopyName,
  vncPasswordSecretName,
  type InstanceObject,
} from '../../api/index.ts';
import { deleteHostCopy, putHostCopy, type SecretObject } from '../host-secret-copy.ts';
import {
  decideAndAssume,
  type PlacementLedger,
  type Resources,
  type ScheduleInput,
} from '../../scheduler/index.ts';
import {
  bootVolume,
  bootVolumeName,
  instanceUidAnnotation,
  networkInterfaces,
  volumeAttachments,
  type Child,
} from './children.ts';
import type { CheckedCopies } from './checked-copies.ts';
import { fenceWrites, type FenceWrite } from './nic-fence.ts';
import { planUserData } from './user-data-copy.ts';
import {
  planVncPassword,
  vncPasswordCopyAnnotation,
  type VncPasswordPlan,
} from './vnc-password.ts';

export interface InterfaceStatus {
  name: string;
  networkInterface?: string;
  ipAddresses?: string[];
  macAddress?: string;
}

/** The manager's part of an Instance's status. */
export interface InstancePlacement {
  host: string;
  allocated: Resources;
  /** Limits from its Flavor the host enforces. */
  limits?: { cpuQuotaPercent?: number };
  bootVolume: string;
  interfaces: InterfaceStatus[];
  /** The Secret in the instance's namespace holding its VNC password. */
  vncPasswordSecret: string;
  /** The OVN chassis of its host its interfaces' ports are fenced to; none when unknown. */
  chassis?: string;
}

/** What the client reads: the caches, by kind and key. */
export interface InstanceWorld extends Omit<
  ScheduleInput,
  'instance' | 'placements' | 'bootVolume'
> {
  /** A child object of a kind (Volume, NetworkInterface, VolumeAttachment) as the cache has it. */
  child(kind: ChildKind, namespace: string, name: string): KubeObject | undefined;
  /** The VolumeAttachments labelled with this instance. */
  attachmentsOf(instance: InstanceObject): KubeObject[];
  /**
   * A rebuild of the instance under way (its VM is off for it): its boot disk is detached
   * meanwhile, so that EVS can re-make it.
   */
  rebuilding(instance: InstanceObject): boolean;
  /** The NetworkInterface an interface is, by name (for its address and MAC). */
  networkInterface(
    namespace: string,
    name: string,
  ): (KubeObject & { status?: { ipAddress?: string; macAddress?: string } }) | undefined;
  /** The OVN chassis a Host reports (its status.chassis); undefined when it reports none. */
  hostChassis(host: string): string | undefined;
}

export type ChildKind = 'Volume' | 'NetworkInterface' | 'VolumeAttachment';

export interface InstanceClientOptions {
  world: InstanceWorld;
  ledger: PlacementLedger;
  /** The instance itself, for the binding write. */
  instances: ObjectClient<InstanceObject>;
  children: Record<ChildKind, ObjectClient<KubeObject>>;
  secrets: ObjectClient<SecretObject>;
  /** Where the copies of VNC passwords go: the namespace whose Secrets agents may read. */
  hostsNamespace: string;
  /** Instances whose Secret copies were found or written fresh: not read again each look. */
  checked: CheckedCopies;
  /** The finalizers the binding write adds (the manager's and the host agent's). */
  finalizers: readonly string[];
  fieldManager: string;
}

/** Waits (a missing image, a host not there yet) end the reconcile without an error. */
const waitRequeueMs = 5_000;
/** A resize that waits for room on its host looks again this often. */
const resizeRequeueMs = 15_000;

function mine(instance: InstanceObject, obj: KubeObject): boolean {
  return obj.metadata.annotations?.[instanceUidAnnotation] === instance.metadata.uid;
}

function interfacesOf(instance: InstanceObject, world: InstanceWorld): InterfaceStatus[] {
  const ns = instance.metadata.namespace ?? '';
  const nics = [...(instance.spec.networkInterfaces ?? [])].sort(
    (a, b) => Number(b.primary === true) - Number(a.primary === true),
  );
  return nics.map((nic) => {
    const name = nic.networkInterfaceRef?.name ?? `${instance.metadata.name ?? ''}-${nic.name}`;
    const eni = world.networkInterface(ns, name);
    return {
      name: nic.name,
      networkInterface: name,
      ...(eni?.status?.ipAddress ? { ipAddresses: [eni.status.ipAddress] } : {}),
      ...(eni?.status?.macAddress ? { macAddress: eni.status.macAddress } : {}),
    };
  });
}

/** A VolumeAttachment found under a child's name that names another host than the child. */
function staleAttachment(c: Child, found: KubeObject): boolean {
  if (c.kind !== 'VolumeAttachment') return false;
  const want = (c as { spec?: { host?: string } }).spec?.host;
  const have = (found as { spec?: { host?: string } }).spec?.host;
  return want !== undefined && have !== undefined && want !== have;
}

/** Its Flavor's NIC bandwidth, which the interfaces it makes carry (none for inline resources). */
function nicBandwidthOf(instance: InstanceObject, world: InstanceWorld): number | undefined {
  const name = instance.spec.flavorRef?.name;
  return name !== undefined ? world.flavor(name)?.spec.nicBandwidthMbps : undefined;
}

/**
 * An interface it made whose limits are not the ones wanted (its Flavor's changed): it is
 * applied again, so a resize reaches the interface's meters at once.
 */
function staleLimits(c: Child, found: KubeObject): boolean {
  if (c.kind !== 'NetworkInterface') return false;
  type Limits = { egressMbps?: number; ingressMbps?: number } | undefined;
  const have = (found as { spec?: { bandwidth?: Limits } }).spec?.bandwidth;
  const want = c.spec.bandwidth as Limits;
  return have?.egressMbps !== want?.egressMbps || have?.ingressMbps !== want?.ingressMbps;
}

/** The limits of its Flavor the host enforces (none for inline resources). */
function limitsOf(
  instance: InstanceObject,
  world: InstanceWorld,
): Pick<InstancePlacement, 'limits'> {
  const name = instance.spec.flavorRef?.name;
  const quota = name !== undefined ? world.flavor(name)?.spec.cpuQuotaPercent : undefined;
  return quota !== undefined ? { limits: { cpuQuotaPercent: quota } } : {};
}

/** The first of the instance's parts whose Stalled condition is True, and why. */
function stalledChild(
  instance: InstanceObject,
  children: readonly Child[],
  world: InstanceWorld,
): { reason: string; message: string } | undefined {
  const ns = instance.metadata.namespace ?? '';
  for (const c of children) {
    const name = c.metadata.name ?? '';
    const found = world.child(c.kind as ChildKind, ns, name);
    if (!found || !mine(instance, found)) continue;
    const conditions = (found as { status?: { conditions?: Condition[] } }).status?.conditions;
    if (getCondition(conditions, StalledCondition)?.status !== 'True') continue;
    const ready = getCondition(conditions, ReadyCondition);
    return {
      reason: `${c.kind}Failed`,
      message: `${c.kind} ${name} cannot be made: ${ready?.reason ?? 'Stalled'}: ${ready?.message ?? ''}`,
    };
  }
  return undefined;
}

export function instanceClient(
  opts: InstanceClientOptions,
): ExternalClient<InstanceObject, InstancePlacement> {
  const { world, ledger } = opts;
  // What this reconcile wrote: its second look counts them, before the caches show them.
  const written = new Set<string>();
  const deleted = new Set<string>();
  let plan:
    | {
        children: Child[];
        bind?: { host: string; allocated: Resources };
        /** The chassis its interfaces are fenced to (none: the host reports none). */
        chassis?: string | undefined;
        vnc?: Exclude<VncPasswordPlan, { wait: unknown }>;
        userData?: SecretObject;
      }
    | undefined;
  let copyRemoved = false;

  // The fence annotations this reconcile wrote, for its second look.
  const fenced = new Map<string, string | null>();
  const fenceOf = (instance: InstanceObject, chassis: string | undefined) => {
    const ns = instance.metadata.namespace ?? '';
    const using = interfacesOf(instance, world).map((i) => i.networkInterface ?? '');
    const used = (instance.status?.interfaces ?? []).map((i) => i.networkInterface ?? '');
    return fenceWrites(using, used, chassis, (name) => {
      // One this reconcile just made is there, though the cache may not show it yet.
      const made: KubeObject | undefined = written.has(`NetworkInterface/${ns}/${name}`)
        ? { metadata: { name } }
        : undefined;
      const nic: KubeObject | undefined = world.networkInterface(ns, name) ?? made;
      if (!nic || !fenced.has(name)) return nic;
      const value = fenced.get(name);
      const others = Object.entries(nic.metadata.annotations ?? {}).filter(
        ([k]) => k !== requestedChassisAnnotation,
      );
      const annotations = Object.fromEntries(
        value ? [...others, [requestedChassisAnnotation, value]] : others,
      );
      return { ...nic, metadata: { ...nic.metadata, annotations } };
    });
  };

  const keyOf = (c: Child) => `${c.kind}/${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}`;
  const present = (instance: InstanceObject, c: Child): boolean => {
    if (written.has(keyOf(c))) return true;
    const found = world.child(
      c.kind as ChildKind,
      c.metadata.namespace ?? '',
      c.metadata.name ?? '',
    );
    if (!found) return false;
    if (!mine(instance, found)) {
      throw new ReconcileError(
        'NameTaken',
        `${c.kind} ${c.metadata.name ?? ''} exists and was not made for this instance: rename or delete it`,
        { retry: false },
      );
    }
    // An attachment made for another host (the instance moved off a lost one): not this one.
    return !staleAttachment(c, found) && !staleLimits(c, found);
  };

  const decide = (instance: InstanceObject) => {
    const ns = instance.metadata.namespace ?? '';
    const bootName = bootVolumeName(instance);
    const boot = world.child('Volume', ns, bootName);
    const decision = decideAndAssume(ledger, {
      ...world,
      instance,
      ...(boot ? { bootVolume: bootName } : {}),
    });
    if ('refuse' in decision) {
      throw new ReconcileError(decision.refuse.reason, decision.refuse.message, { retry: false });
    }
    return decision;
  };

  return {
    async observe(instance, signal): Promise<Observation<InstancePlacement>> {
      {
        // Deleted: the VNC password's copy in the hosts namespace goes before the finalizer
        // (the tenant's Secret is the garbage collector's).
        if (instance.metadata.deletionTimestamp) return { exists: !copyRemoved, upToDate: false };
        const ns = instance.metadata.namespace ?? '';
        const ref = instance.spec.imageRef;
        const image = world.image(ref.namespace ?? ns, ref.name);
        const wait = (reason: string, message: string): Observation<InstancePlacement> => ({
          exists: false,
          upToDate: false,
          inProgress: { reason, message, requeueAfterMs: waitRequeueMs },
        });
        if (!image) {
          return wait('ImageNotFound', `Image ${ref.namespace ?? ns}/${ref.name} does not exist`);
        }
        const boot = bootVolume(instance, image);
        if (!boot) {
          return wait(
            'WaitingForImage',
            `Image ${ref.name} is not imported yet: its size is unknown`,
          );
        }
        const children = [boot, ...networkInterfaces(instance, nicBandwidthOf(instance, world))];
        // A part that stopped for good (its Volume refuses the image's pool, say) is what the
        // instance waits on: said here, not hidden behind a wait for its attachment.
        const stuck = stalledChild(instance, children, world);
        if (stuck) return wait(stuck.reason, stuck.message);
        const decision = decide(instance);
        if ('wait' in decision) {
          plan = { children };
          const missing = children.some((c) => !present(instance, c));
          // The children are made first either way: the boot volume clones while this waits.
          return missing
            ? { exists: false, upToDate: false }
            : wait(decision.wait.reason, decision.wait.message);
        }
        const { bind: host, allocated } = decision;
        const all = [
          ...children,
          ...volumeAttachments(instance, host, { bootDetached: world.rebuilding(instance) }),
        ];
        // The VNC password is with the host before the binding hands it the instance.
        // Copies this reconcile (its second look) or an earlier one wrote or read are not read
        // again.
        const copied = opts.checked.fresh(instance, host);
        // Copies are made for a host as the instance is bound to it: one never bound has none
        // to read back (two reads per new instance, both answered 404).
        const copyMayExist =
          instance.metadata.labels?.[hostLabel] !== undefined ||
          instance.status?.host !== undefined;
        const planned = <P>(
          plan: (
            ...args: [
              ObjectClient<SecretObject>,
              InstanceObject,
              string,
              string,
              AbortSignal,
              boolean,
            ]
          ) => Promise<P>,
        ) => plan(opts.secrets, instance, host, opts.hostsNamespace, signal, copyMayExist);
        const vnc = copied ? {} : await planned(planVncPassword);
        const userData = copied || 'wait' in vnc ? {} : await planned(planUserData);
        if ('wait' in vnc || 'wait' in userData) {
          const why = 'wait' in vnc ? vnc.wait : 'wait' in userData ? userData.wait : undefined;
          plan = { children };
          return children.some((c) => !present(instance, c))
            ? { exists: false, upToDate: false }
            : wait(why?.reason ?? '', why?.message ?? '');
        }
        if (!copied && !vnc.create && !vnc.copy && !userData.copy) {
          opts.checked.record(instance, host);
        }
        const chassis = world.hostChassis(host);
        const fence = fenceOf(instance, chassis);
        plan = {
          children: all,
          bind: { host, allocated },
          chassis,
          vnc,
          ...(userData.copy ? { userData: userData.copy } : {}),
        };
        const copiesDone =
          vnc.create === undefined && vnc.copy === undefined && userData.copy === undefined;
        const bound = instance.metadata.labels?.[hostLabel];
        const finalized = opts.finalizers.every((f) => instance.metadata.finalizers?.includes(f));
        const complete = all.every((c) => present(instance, c));
        const wanted = new Set(all.map((c) => c.metadata.name ?? ''));
        const extra = world
          .attachmentsOf(instance)
          .some(
            (a) =>
              mine(instance, a) &&
              !a.metadata.deletionTimestamp &&
              !deleted.has(a.metadata.name ?? '') &&
              !wanted.has(a.metadata.name ?? ''),
          );
        const upToDate =
          bound === host && finalized && complete && !extra && copiesDone && fence.length === 0;
        // A resize waiting for room on the host: everything else is done, so it is what
        // Ready waits for; looked at again as instances leave the host.
        const resizing =
          upToDate && decision.resizeWaits
            ? { inProgress: { ...decision.resizeWaits, requeueAfterMs: resizeRequeueMs } }
            : {};
        return {
          exists: bound !== undefined,
          upToDate,
          ...resizing,
          observed: {
            host,
            allocated,
            ...limitsOf(instance, world),
            bootVolume: boot.metadata.name ?? '',
            interfaces: interfacesOf(instance, world),
            vncPasswordSecret: vncPasswordSecretName(instance.metadata.name ?? ''),
            ...(chassis !== undefined ? { chassis } : {}),
          },
        };
      }
    },
    create: (instance, signal) => write(instance, signal),
    update: (instance, _observation, signal) => write(instance, signal),
    async delete(instance, signal) {
      // The children are the garbage collector's once the instance is gone; the agent's
      // finalizer keeps the instance until its VM is stopped. The VNC password's copy is in
      // another namespace, out of the collector's reach.
      const uid = instance.metadata.uid ?? '';
      for (const name of [vncPasswordCopyName(uid), userDataCopyName(uid)]) {
        await deleteHostCopy(opts.secrets, opts.hostsNamespace, name, signal);
      }
      copyRemoved = true;
      // Its own interfaces go with it; one it was given by name is free again for anyone.
      const ns = instance.metadata.namespace ?? '';
      const given = (instance.status?.interfaces ?? [])
        .map((i) => i.networkInterface ?? '')
        .filter((name) => {
          const nic = world.networkInterface(ns, name);
          return nic !== undefined && !mine(instance, nic);
        });
      await writeFence(
        ns,
        fenceWrites([], given, undefined, (n) => world.networkInterface(ns, n)),
        signal,
      );
    },
  };

  /** Writes the fence annotations (a merge patch each: the annotation alone, whoever made it). */
  async function writeFence(ns: string, writes: readonly FenceWrite[], signal: AbortSignal) {
    for (const w of writes) {
      try {
        await opts.children.NetworkInterface.patch(
          ns,
          w.networkInterface,
          'merge',
          { metadata: { annotations: { [requestedChassisAnnotation]: w.chassis } } },
          { signal },
        );
      } catch (err) {
        // Gone meanwhile: nothing left to fence.
        if (!isApiError(err, 404)) throw err;
      }
      fenced.set(w.networkInterface, w.chassis);
    }
  }

  async function write(instance: InstanceObject, signal: AbortSignal): Promise<void> {
    const p = plan;
    if (!p) return;
    const ns = instance.metadata.namespace ?? '';
    const apply = async (children: readonly Child[]) => {
      for (const c of children) {
        if (present(instance, c)) continue;
        const stale = world.child(c.kind as ChildKind, ns, c.metadata.name ?? '');
        if (stale && staleAttachment(c, stale)) {
          // Same name, another host: it goes first (its host's agents, or the fence, let it
          // go); the attachment for this host is made once it is gone.
          if (!stale.metadata.deletionTimestamp && !deleted.has(c.metadata.name ?? '')) {
            await opts.children.VolumeAttachment.delete(ns, c.metadata.name ?? '', { signal });
            deleted.add(c.metadata.name ?? '');
          }
          continue;
        }
        await opts.children[c.kind as ChildKind].patch(ns, c.metadata.name ?? '', 'apply', c, {
          fieldManager: opts.fieldManager,
          signal,
        });
        written.add(keyOf(c));
      }
    };
    const attachments = p.children.filter((c) => c.kind === 'VolumeAttachment');
    // The boot volume and interfaces first (they are made while the instance waits for a host),
    // then the binding, then the attachments, which name the host the binding chose.
    await apply(p.children.filter((c) => c.kind !== 'VolumeAttachment'));
    if (!p.bind) return;
    // The ports are fenced to the host before the binding hands it the instance: its VM's port
    // binds there at once, and no other chassis (the host it left) can take it back.
    await writeFence(ns, fenceOf(instance, p.chassis), signal);
    if (p.vnc?.create) {
      try {
        await opts.secrets.create(p.vnc.create, signal);
      } catch (err) {
        // Made meanwhile (by a user, or by this before a failed write): the next look reads it.
        if (!isApiError(err, 409)) throw err;
        throw new ReconcileError(
          'VncPasswordSecretChanged',
          `Secret ${p.vnc.create.metadata.name ?? ''} appeared meanwhile: reading it again`,
        );
      }
    }
    const { host } = p.bind;
    const vncCopy = p.vnc?.copy ? await putHostCopy(opts.secrets, p.vnc.copy, signal) : undefined;
    if (p.userData) await putHostCopy(opts.secrets, p.userData, signal);
    opts.checked.record(instance, host);
    // A new password for a VM already on its host: a change of the instance's metadata has its
    // agent look (it reads the copy, which it cannot watch) and set it at once.
    const stamp =
      vncCopy && instance.metadata.labels?.[hostLabel] === host
        ? { [vncPasswordCopyAnnotation]: vncCopy.metadata.uid ?? '' }
        : undefined;
    const uid = instance.metadata.uid ?? '';
    const current = instance.metadata.finalizers ?? [];
    const missing = opts.finalizers.filter((f) => !current.includes(f));
    if (instance.metadata.labels?.[hostLabel] !== host || missing.length > 0 || stamp) {
      try {
        await opts.instances.patch(
          ns,
          instance.metadata.name ?? '',
          'merge',
          {
            metadata: {
              labels: { [hostLabel]: host },
              ...(stamp ? { annotations: stamp } : {}),
              ...(missing.length > 0
                ? {
                    finalizers: [...current, ...missing],
                    resourceVersion: instance.metadata.resourceVersion,
                  }
                : {}),
            },
          },
          { signal },
        );
      } catch (err) {
        // The decision did not happen: the host's room goes back to the ledger.
        if (!isApiError(err, 409) || instance.metadata.labels?.[hostLabel] === undefined) {
          ledger.forget(uid);
        }
        throw err;
      }
      instance.metadata.labels = { ...instance.metadata.labels, [hostLabel]: host };
      instance.metadata.finalizers = [...current, ...missing];
    }
    await apply(attachments);
    // Disks that left the spec are detached: their attachments go (the host's agent holds each
    // until it has unplugged the disk).
    const wanted = new Set(attachments.map((c) => c.metadata.name ?? ''));
    for (const a of world.attachmentsOf(instance)) {
      if (!mine(instance, a) || wanted.has(a.metadata.name ?? '')) continue;
      if (a.metadata.deletionTimestamp || deleted.has(a.metadata.name ?? '')) continue;
      await opts.children.VolumeAttachment.delete(ns, a.metadata.name ?? '', { signal });
      // This reconcile's second look must not see it as still wanted gone.
      deleted.add(a.metadata.name ?? '');
    }
  }
}
