// The agent's Host controller: each of its hosts has a Host, labelled with its topology and
// bound to itself (so the agent watches it in the same scope as everything else bound to the
// host), and carries the agent's part of the status. Created when missing, re-created when
// deleted, rewritten only when something the agent reports changed.
import {
  Controller,
  realClock,
  type Cache,
  type Clock,
  type InformerScope,
  type ObjectClient,
  type Reconcile,
} from '../../controllers/index.ts';
import type { Manager } from '../../controllers/manager/index.ts';
import {
  Host,
  hostLabel,
  simulatedLabel,
  topologyLabels,
  type HostObject,
} from '../../operators/ecs/api/index.ts';
import { applyOwnStatus, type OwnStatus } from '../../controllers/reconcile/index.ts';
import { hostResource } from '../../operators/ecs/index.ts';

/** The agent's field manager on its Hosts (metadata labels and its part of the status). */
export const agentFieldManager = 'kcloud-agent';
export const hostRegistrationControllerName = 'host-registration';

export interface HostRegistrationOptions {
  hosts: readonly string[];
  /** The labels the agent sets on a Host: topology, simulated, and the binding to itself. */
  labelsOf(host: string): Record<string, string>;
  /** The agent's part of a Host's status, as of now. */
  statusOf(host: string): OwnStatus;
}

export interface HostRegistrationReconcilerOptions extends HostRegistrationOptions {
  client: ObjectClient<HostObject>;
  cache: Cache<HostObject>;
  clock?: Clock;
}

/** The labels the agent sets; one it no longer sets (a flag dropped) is removed by its apply. */
const agentLabelKeys = [...Object.values(topologyLabels), simulatedLabel, hostLabel];

function hasLabels(host: HostObject, labels: Record<string, string>): boolean {
  const current = host.metadata.labels ?? {};
  return agentLabelKeys.every((k) => current[k] === labels[k]);
}

export function hostRegistrationReconciler(opts: HostRegistrationReconcilerOptions): Reconcile {
  const hosts = new Set(opts.hosts);
  const clock = opts.clock ?? realClock;
  return async (req, ctx) => {
    if (!hosts.has(req.name)) return undefined;
    let host = opts.cache.get(req.key);
    const labels = opts.labelsOf(req.name);
    if (!host || !hasLabels(host, labels)) {
      // Apply creates the Host when it is missing; the spec is the cloud operator's (cordon),
      // so the agent sends none of it and owns none of it.
      host = await opts.client.patch(
        undefined,
        req.name,
        'apply',
        {
          apiVersion: Host.apiVersion,
          kind: Host.kind,
          metadata: { name: req.name, labels },
          spec: {},
        },
        { fieldManager: agentFieldManager, force: false, signal: ctx.signal },
      );
      ctx.log.info('host registered', { host: req.name });
    }
    await applyOwnStatus(
      opts.client,
      { ...host, apiVersion: Host.apiVersion, kind: Host.kind },
      opts.statusOf(req.name),
      agentFieldManager,
      new Date(clock.now()),
      ctx.signal,
    );
    return undefined;
  };
}

export interface HostRegistration {
  controller: Controller<HostObject>;
  /** Reconciles every host again (the facts changed: the hypervisor probe ended). */
  refresh(): void;
}

/** Wires the Host controller into the agent's manager, watching only its own Hosts. */
export function addHostRegistration(
  mgr: Manager,
  opts: HostRegistrationOptions & { scope: InformerScope },
): HostRegistration {
  const informer = mgr.informer<HostObject>(hostResource, { ...opts.scope });
  const controller = new Controller<HostObject>({
    name: hostRegistrationControllerName,
    informer,
    reconcile: hostRegistrationReconciler({
      ...opts,
      client: mgr.client<HostObject>(hostResource),
      cache: informer.cache,
    }),
    // Any change may have touched what the agent owns (someone edited its status or labels).
    shouldReconcileUpdate: (a, b) => a.metadata.resourceVersion !== b.metadata.resourceVersion,
    workers: 2,
    registry: mgr.registry,
    log: mgr.log,
  });
  mgr.add(controller);
  const refresh = () => {
    for (const h of opts.hosts) controller.queue.add(h);
  };
  // A missing Host makes no event: each host is reconciled once when the controllers start.
  mgr.addRunnable({
    name: 'host-registration-start',
    run: () => {
      refresh();
      return Promise.resolve();
    },
  });
  return { controller, refresh };
}
