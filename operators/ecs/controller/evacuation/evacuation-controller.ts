// The manager's evacuation of lost hosts. A host whose heartbeat has been late for the
// evacuation grace period (beyond the lifecycle's own grace) is fenced first — condition
// Fenced=True on the Host, written before anything moves — then each of its instances whose
// volumes are all in shared pools is moved: the lost host's VolumeAttachments are deleted with
// that host's finalizers taken off (its agents cannot), the agent's part of the instance's
// status is reset in the agent's name (it described a VM on the lost host), the move is
// recorded (status.lastEvacuation and an event), and the binding is removed, so the scheduler
// places the instance again on a host that is Ready. The lost host's agent, when it comes
// back, sees the instance leave its view and kills the VM it still had.
import {
  getCondition,
  leaseResource,
  realClock,
  type Clock,
  type KubeObject,
  type Lease,
  type Reconcile,
} from '../../../../controllers/index.ts';
import type { Manager } from '../../../../controllers/manager/index.ts';
import {
  applyOwnStatus,
  Controller,
  removeFinalizer,
} from '../../../../controllers/reconcile/index.ts';
import { isNotFound } from '../../../../controllers/kube/index.ts';
import { watch } from '../../../../controllers/wiring/index.ts';
import {
  StoragePool,
  Volume,
  VolumeAttachment,
  volumeOpenFinalizer,
  type StoragePoolObject,
  type VolumeAttachmentObject,
  type VolumeObject,
} from '../../../evs/api/index.ts';
import {
  fencedCondition,
  Host,
  hostLabel,
  Instance,
  provisionedCondition,
  vmAgentFieldManager,
  vmAgentStatusFields,
  vmFinalizer,
  type HostObject,
  type InstanceObject,
} from '../../api/index.ts';
import { hostResource, leaseUpdateMatters } from '../host-lifecycle.ts';
import { instanceLabel } from '../instance/children.ts';
import { evacuationDecision, type Stranded } from './evacuation-decision.ts';

export const evacuationControllerName = 'ecs-evacuation';

/** The agent's finalizer on VolumeAttachments it has set up on its host (EVS's agent). */
const attachmentAgentFinalizer = 'evs.kcloud.io/data';

export interface EvacuationOptions {
  hostsNamespace: string;
  /** The host lifecycle's grace: how late a heartbeat may be before the host is lost. */
  heartbeatGraceMs: number;
  /** How long a host stays lost before it is fenced and its instances move. */
  evacuationGraceMs: number;
  workers?: number;
}

const stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export function addEvacuationController(mgr: Manager, opts: EvacuationOptions): void {
  const clock: Clock = realClock;
  const hosts = mgr.informer<HostObject>(hostResource);
  const leases = mgr.informer<Lease>(leaseResource, { namespace: opts.hostsNamespace });
  const instances = mgr.informer<InstanceObject>(Instance.resource);
  const volumes = mgr.informer<VolumeObject>(Volume.resource);
  const pools = mgr.informer<StoragePoolObject>(StoragePool.resource);
  const attachments = mgr.informer<VolumeAttachmentObject>(VolumeAttachment.resource);
  const hostClient = mgr.client<HostObject>(hostResource);
  const instanceClient = mgr.client<InstanceObject>(Instance.resource);
  const attachmentClient = mgr.client<VolumeAttachmentObject>(VolumeAttachment.resource);
  const recorder = mgr.recorder(evacuationControllerName);
  const key = (ns: string, name: string) => `${ns}/${name}`;
  const withKind = <T extends KubeObject>(o: T, ref: { apiVersion: string; kind: string }) => ({
    ...o,
    apiVersion: ref.apiVersion,
    kind: ref.kind,
  });
  /** What an event is about: the object's kind and name. */
  const regarding = (o: KubeObject, ref: { apiVersion: string; kind: string }) => ({
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: { ...o.metadata, name: o.metadata.name ?? '' },
  });

  const reconcile: Reconcile = async (req, ctx) => {
    const host = hosts.cache.get(req.key);
    if (!host) return undefined;
    const name = host.metadata.name ?? '';
    const now = clock.now();
    const decision = evacuationDecision({
      lease: leases.cache.get(key(opts.hostsNamespace, name)),
      now,
      heartbeatGraceMs: opts.heartbeatGraceMs,
      evacuationGraceMs: opts.evacuationGraceMs,
      instances: () =>
        instances.cache.list().filter((i) => i.metadata.labels?.[hostLabel] === name),
      world: {
        volume: (ns, n) => volumes.cache.get(key(ns, n)),
        pool: (n) => pools.cache.get(n),
      },
    });
    const fenced = getCondition(host.status?.conditions, fencedCondition);
    if (!decision.lost || !decision.fence) {
      if (!decision.lost && fenced?.status === 'True') {
        await applyOwnStatus(
          hostClient,
          withKind(host, Host),
          {
            fields: {},
            conditions: [
              {
                type: fencedCondition,
                status: 'False',
                reason: 'HeartbeatBack',
                message: `the heartbeat is back; fenced from ${fenced.lastTransitionTime}: the instances moved off it are not run here again`,
              },
            ],
          },
          evacuationControllerName,
          new Date(now),
          ctx.signal,
        );
        ctx.log.info('host unfenced', { host: name });
      }
      return decision.recheckAfterMs !== undefined
        ? { requeueAfter: decision.recheckAfterMs + 100 }
        : undefined;
    }
    // Fenced before anything moves: the record a returning agent and the scheduler read.
    const lostAt = stamp(decision.since);
    const wrote = await applyOwnStatus(
      hostClient,
      withKind(host, Host),
      {
        fields: {},
        conditions: [
          {
            type: fencedCondition,
            status: 'True',
            reason: 'HeartbeatLost',
            message: `the heartbeat has been missing since ${lostAt}, longer than the evacuation grace of ${String(opts.evacuationGraceMs / 1000)} s: instances with volumes in shared pools are moved to other hosts`,
          },
        ],
      },
      evacuationControllerName,
      new Date(now),
      ctx.signal,
    );
    if (wrote) {
      recorder.event(
        regarding(host, Host),
        'Warning',
        'Fenced',
        'Evacuate',
        `heartbeat missing since ${lostAt}: fenced; ${String(decision.evacuate.length)} instance(s) to move, ${String(decision.stranded.length)} staying (volumes on the host)`,
      );
      ctx.log.info('host fenced', {
        host: name,
        evacuate: decision.evacuate.length,
        stranded: decision.stranded.length,
      });
    }
    for (const i of decision.evacuate) await evacuate(i, name, lostAt, now, ctx.signal);
    for (const s of decision.stranded) await strand(s, name, now, ctx.signal);
    // Attachments on the fenced host deleted by others (an instance that moved while its
    // attachment for this host was being made): its agents cannot let them go either.
    for (const a of attachments.cache.list()) {
      if (a.spec.host !== name || !a.metadata.deletionTimestamp) continue;
      await release(a.metadata.namespace ?? '', a.metadata.name ?? '', ctx.signal);
    }
    return undefined;
  };

  /** Takes the fenced host's agents' finalizers off an attachment, as it is now. */
  async function release(ns: string, name: string, signal: AbortSignal): Promise<void> {
    try {
      let current = await attachmentClient.get(ns, name, signal);
      for (const f of [attachmentAgentFinalizer, volumeOpenFinalizer]) {
        current = await removeFinalizer(attachmentClient, current, f, signal);
      }
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** The agent's part of the status, written in its name: the lost host's agent cannot. */
  async function resetAgentPart(
    i: InstanceObject,
    reason: string,
    message: string,
    now: number,
    signal: AbortSignal,
  ): Promise<InstanceObject | undefined> {
    return applyOwnStatus(
      instanceClient,
      withKind(i, Instance),
      {
        fields: Object.fromEntries(vmAgentStatusFields.map((f) => [f, undefined])),
        conditions: [
          {
            type: provisionedCondition,
            status: 'False',
            reason,
            message,
            ...(i.metadata.generation !== undefined
              ? { observedGeneration: i.metadata.generation }
              : {}),
          },
        ],
      },
      vmAgentFieldManager,
      new Date(now),
      signal,
    );
  }

  async function evacuate(
    i: InstanceObject,
    from: string,
    lostAt: string,
    now: number,
    signal: AbortSignal,
  ): Promise<void> {
    const ns = i.metadata.namespace ?? '';
    const iname = i.metadata.name ?? '';
    // Its disks on the lost host: detached here, since nothing there can do it. Read live, not
    // from the cache: each write needs the object as it is now, and the instance is unbound
    // only once none of them is held by the lost host any more.
    const onLostHost = async () =>
      (
        await attachmentClient.list({
          namespace: ns,
          labelSelector: `${instanceLabel}=${iname}`,
          signal,
        })
      ).items.filter((a) => a.spec.host === from);
    for (const a of await onLostHost()) {
      try {
        if (!a.metadata.deletionTimestamp) {
          await attachmentClient.delete(ns, a.metadata.name ?? '', { signal });
        }
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      await release(ns, a.metadata.name ?? '', signal);
    }
    const held = (await onLostHost()).filter((a) =>
      (a.metadata.finalizers ?? []).some(
        (f) => f === attachmentAgentFinalizer || f === volumeOpenFinalizer,
      ),
    );
    if (held.length > 0) {
      throw new Error(
        `the attachments ${held.map((a) => a.metadata.name ?? '').join(', ')} of instance ${iname} still carry host ${from}'s finalizers: retrying`,
      );
    }
    await resetAgentPart(
      i,
      'Evacuating',
      `Host ${from} was lost (heartbeat missing since ${lostAt}) and fenced: the instance is placed on another host`,
      now,
      signal,
    );
    await applyOwnStatus(
      instanceClient,
      withKind(i, Instance),
      {
        fields: { lastEvacuation: { fromHost: from, hostLostAt: lostAt, time: stamp(now) } },
        conditions: [],
      },
      evacuationControllerName,
      new Date(now),
      signal,
    );
    // Unbound: the scheduler places it again; the lost host's agent no longer sees it.
    await instanceClient.patch(
      ns,
      iname,
      'merge',
      {
        metadata: {
          labels: { [hostLabel]: null },
          finalizers: (i.metadata.finalizers ?? []).filter((f) => f !== vmFinalizer),
          resourceVersion: i.metadata.resourceVersion,
        },
      },
      { signal },
    );
    recorder.event(
      regarding(i, Instance),
      'Warning',
      'Evacuated',
      'Evacuate',
      `Host ${from} was lost (heartbeat missing since ${lostAt}) and fenced: moved off it, to be placed on another host`,
    );
  }

  async function strand(s: Stranded, from: string, now: number, signal: AbortSignal) {
    const wrote = await resetAgentPart(
      s.instance,
      'HostLost',
      `Host ${from} was lost and fenced; the instance is not moved: ${s.message}`,
      now,
      signal,
    );
    if (wrote) {
      recorder.event(
        regarding(s.instance, Instance),
        'Warning',
        'NotEvacuated',
        'Evacuate',
        `Host ${from} was lost: ${s.message}`,
      );
    }
  }

  const hostOf = (o: KubeObject) => o.metadata.labels?.[hostLabel];
  mgr.add(
    new Controller<HostObject>({
      name: evacuationControllerName,
      informer: hosts,
      reconcile,
      watches: [
        watch<Lease>(
          leases,
          (lease) => (lease.metadata.name ? [lease.metadata.name] : []),
          leaseUpdateMatters(hosts.cache),
        ),
        // An attachment on a fenced host being deleted: its finalizers are taken off.
        watch<VolumeAttachmentObject>(attachments, (a) =>
          a.metadata.deletionTimestamp &&
          getCondition(hosts.cache.get(a.spec.host)?.status?.conditions, fencedCondition)
            ?.status === 'True'
            ? [a.spec.host]
            : [],
        ),
        // An instance bound to a fenced host after the fence (a binding already on its way).
        watch<InstanceObject>(instances, (i) => {
          const h = hostOf(i);
          return h !== undefined &&
            getCondition(hosts.cache.get(h)?.status?.conditions, fencedCondition)?.status === 'True'
            ? [h]
            : [];
        }),
      ],
      workers: opts.workers ?? 2,
      registry: mgr.registry,
      log: mgr.log,
    }),
  );
}
