// What the tests of the manager's InstanceOperation and DeploymentSet controllers share: the
// real API server, a manager running those controllers, Hosts that say they are Ready without an
// agent behind them (the agent's part is played by the test through the status subresource),
// and Instances the test places on a host with the binding label, as the scheduler would.
import {
  ApiClient,
  loadKubeConfig,
  ObjectClient,
  type Condition,
  type KubeObject,
} from '../../../controllers/index.ts';
import {
  addDeploymentSetController,
  addInstanceOperationController,
  hostLabel,
  hostResource,
  Instance,
  simulatedLabel,
  topologyLabels,
  type HostObject,
  type InstanceObject,
} from '../../../operators/ecs/index.ts';
import {
  startManager,
  waitFor,
  type RunningManager,
  type TestCluster,
} from '../../harness/index.ts';

export const ecsApi = 'ecs.kcloud.io/v1alpha1';

export interface EcsManagerWorld {
  api: ApiClient;
  manager: RunningManager;
  hostsNs: string;
  instances: ObjectClient<InstanceObject>;
  /** A Host that says it is Ready and schedulable, labelled simulated (no machine behind it). */
  addHost(name: string, opts?: { rack?: string }): Promise<void>;
  /** An Instance of the test namespace, placed on `host` (the binding label) when given. */
  addInstance(
    name: string,
    opts?: { host?: string; deploymentSet?: string },
  ): Promise<InstanceObject>;
  /** Binds an Instance to a host as the scheduler does. */
  place(name: string, host: string): Promise<void>;
  stop(): Promise<void>;
}

const condition = (type: string, status: 'True' | 'False') => ({
  type,
  status,
  reason: type,
  message: 'set by the test',
  lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
});

export async function startEcsManager(cluster: TestCluster): Promise<EcsManagerWorld> {
  const ns = cluster.namespace;
  const hostsNs = `${ns}-hosts`;
  const created = await cluster.kubectl(['create', 'namespace', hostsNs]);
  if (created.code !== 0) throw new Error(`creating ${hostsNs}: ${created.stderr}`);
  const api = new ApiClient(loadKubeConfig(cluster.kubeconfigPath));
  const hosts = new ObjectClient<HostObject>(api, hostResource);
  const instances = new ObjectClient<InstanceObject>(api, Instance.resource);
  const hostNames: string[] = [];
  const manager = await startManager(
    (mgr) => {
      addInstanceOperationController(mgr, { hostsNamespace: hostsNs });
      addDeploymentSetController(mgr);
    },
    { namespace: ns },
  );
  const place = async (name: string, host: string) => {
    await instances.patch(ns, name, 'merge', { metadata: { labels: { [hostLabel]: host } } });
  };
  return {
    api,
    manager,
    hostsNs,
    instances,
    addHost: async (name, opts = {}) => {
      hostNames.push(name);
      await hosts.create({
        apiVersion: ecsApi,
        kind: 'Host',
        metadata: {
          name,
          labels: {
            [simulatedLabel]: 'true',
            ...(opts.rack !== undefined ? { [topologyLabels.rack]: opts.rack } : {}),
          },
        },
        spec: {},
      });
      await hosts.patch(
        undefined,
        name,
        'merge',
        {
          status: {
            conditions: [condition('Ready', 'True'), condition('Schedulable', 'True')],
            allocatable: { vcpu: 16, memoryBytes: 64 * 1024 ** 3 },
            capacity: { vcpu: 16, memoryBytes: 64 * 1024 ** 3 },
            cpu: { model: 'test', arch: 'x86_64' },
          },
        },
        { subresource: 'status' },
      );
    },
    addInstance: async (name, opts = {}) => {
      await cluster.apply(
        `apiVersion: ${ecsApi}\nkind: Instance\nmetadata: {name: ${name}}\nspec: ${JSON.stringify({
          resources: { vcpu: 1, memory: '256Mi' },
          imageRef: { name: 'debian' },
          ...(opts.deploymentSet !== undefined
            ? {
                placement: {
                  deploymentSetRef: { name: opts.deploymentSet },
                  hostSelector: { [simulatedLabel]: 'true' },
                },
              }
            : {}),
        })}\n`,
      );
      if (opts.host !== undefined) await place(name, opts.host);
      return instances.get(ns, name);
    },
    place,
    stop: async () => {
      await manager.stop();
      await cluster.kubectl([
        'delete',
        '--ignore-not-found',
        '--wait=false',
        `namespace/${hostsNs}`,
        ...hostNames.map((h) => `hosts.ecs.kcloud.io/${h}`),
      ]);
      await api.close();
    },
  };
}

type WithConditions = KubeObject & { status?: { conditions?: Condition[]; phase?: string } };

export const conditionOf = (o: WithConditions | undefined, type: string) =>
  o?.status?.conditions?.find((c) => c.type === type);

/** Waits until `get` answers an object `want` accepts, showing its status if it never does. */
export async function waitUntil<T extends WithConditions>(
  get: () => Promise<T>,
  want: (o: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  let last: T | undefined;
  return waitFor(
    async () => {
      last = await get().catch(() => undefined);
      return last && want(last) ? last : undefined;
    },
    {
      timeoutMs,
      what,
      describe: () =>
        Promise.resolve(
          JSON.stringify({ labels: last?.metadata.labels, status: last?.status }, null, 2),
        ),
    },
  );
}
