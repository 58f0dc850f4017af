// What the EVS tests on the real API server share: two hosts, each a real kcloud-agent process
// with its own host certificate and its own view of the filesystem (so a Local pool is one
// directory per host while a Shared pool is one directory both see), and a manager running
// the host-lifecycle and EVS controllers.
import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { serviceAccountUser } from '../../../agent/access/index.ts';
import {
  ApiClient,
  loadKubeConfig,
  ObjectClient,
  type Condition,
  type KubeObject,
  type Manager,
  type ResourceRef,
} from '../../../controllers/index.ts';
import { applyAgentAccess } from '../../../hack/demo/agent-access.ts';
import {
  addHostLifecycleController,
  hostResource,
  type HostObject,
} from '../../../operators/ecs/index.ts';
import { FilePool } from '../../../operators/evs/backend/file/file-pool.ts';
import type { OwnerRef } from '../../../operators/evs/backend/index.ts';
import { addEvsControllers } from '../../../operators/evs/index.ts';
import {
  startManager,
  tempDir,
  waitFor,
  type RunningManager,
  type TestCluster,
} from '../../harness/index.ts';
import { agentKubeconfig, startAgent, type AgentProcess } from '../agent/agent-process.ts';

export interface EvsWorld {
  work: string;
  hostsNs: string;
  hosts: string[];
  /** Each host's view of the filesystem (its --host-root). */
  roots: Record<string, string>;
  agents: Record<string, AgentProcess>;
  manager: RunningManager;
  api: ApiClient;
  startAgent(host: string): Promise<AgentProcess>;
  /**
   * Deletes the test's EVS objects while the manager and agents still run (their finalizers
   * need them), then the cluster-scoped types and pools it names.
   */
  deleteAll(clusterScoped: string[]): Promise<void>;
  /** The file pool at `poolPath` as `host` sees it: to look at the data the agent made. */
  filePool(host: string, poolPath: string): FilePool;
  stop(): Promise<void>;
}

export const evsApi = 'evs.kcloud.io/v1alpha1';
export const ecsApi = 'ecs.kcloud.io/v1alpha1';

/** One YAML document. */
export const doc = (apiVersion: string, kind: string, name: string, spec: object) =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: ${JSON.stringify(spec)}\n`;

export function ownerOf(obj: KubeObject): OwnerRef {
  return {
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
    uid: obj.metadata.uid ?? '',
  };
}

/** Starts the manager and an agent per host; a Shared directory both hosts see at /shared. */
export interface EvsWorldOptions {
  /** The hosts' names; by default `<namespace>-h1` and `<namespace>-h2`. */
  hosts?: string[];
  /** Puts what a host needs under its root (the files its objects import, say). */
  prepareRoot?: (root: string) => Promise<unknown>;
  /** More controllers in the manager (another product's, built on EVS). */
  controllers?: (mgr: Manager) => void;
  /** More flags for every agent (another module's). */
  agentArgs?: string[];
  /** And for one host's agent only (its own Open vSwitch, say). */
  agentArgsFor?: (host: string) => string[];
}

export async function startEvsWorld(
  cluster: TestCluster,
  hostCount = 2,
  opts: EvsWorldOptions = {},
): Promise<EvsWorld> {
  const { dir: work, cleanup } = await tempDir('evs');
  const ns = cluster.namespace;
  const hostsNs = `${ns}-hosts`;
  const policy = `kcloud-agent-host-${ns}`;
  const hosts =
    opts.hosts ?? Array.from({ length: hostCount }, (_, i) => `${ns}-h${String(i + 1)}`);
  const shared = path.join(work, 'shared-fs');
  await mkdir(shared, { recursive: true });
  const roots: Record<string, string> = {};
  for (const h of hosts) {
    roots[h] = path.join(work, 'hosts', h);
    await mkdir(roots[h], { recursive: true });
    await symlink(shared, path.join(roots[h], 'shared'));
    await mkdir(path.join(roots[h], 'import'));
    // The Local pool's directory on this host: kcloud never creates a pool's directory.
    await mkdir(path.join(roots[h], 'pools', 'local'), { recursive: true });
    await opts.prepareRoot?.(roots[h]);
  }
  await applyAgentAccess(cluster.kubeconfigPath, {
    name: policy,
    hostsNamespace: hostsNs,
    serviceAccounts: [serviceAccountUser(ns, 'kcloud-agent')],
  });
  const api = new ApiClient(loadKubeConfig(cluster.kubeconfigPath));
  const manager = await startManager(
    (mgr) => {
      addHostLifecycleController(mgr, { hostsNamespace: hostsNs, gracePeriodMs: 2_000 });
      addEvsControllers(mgr);
      opts.controllers?.(mgr);
    },
    { namespace: ns },
  );
  const agents: Record<string, AgentProcess> = {};
  const start = async (host: string) => {
    const kubeconfig = await agentKubeconfig(cluster.kubeconfigPath, work, host);
    const agent = await startAgent(
      host,
      [
        `--kubeconfig=${kubeconfig}`,
        `--host-name=${host}`,
        `--hosts-namespace=${hostsNs}`,
        '--heartbeat-interval=1s',
        '--hypervisor=tcg',
        `--state-dir=${path.join(roots[host] ?? work, 'state')}`,
        `--host-root=${roots[host] ?? '/'}`,
        '--image-import-dirs=/import,/images',
        '--pool-report-interval=2s',
        '--orphan-sweep-interval=2s',
        ...(opts.agentArgs ?? []),
        ...(opts.agentArgsFor?.(host) ?? []),
      ],
      work,
    );
    agents[host] = agent;
    return agent;
  };
  for (const h of hosts) await start(h);
  const hostClient = new ObjectClient<HostObject>(api, hostResource);
  await waitFor(
    async () => {
      const all = await Promise.all(
        hosts.map((h) => hostClient.get(undefined, h).catch(() => undefined)),
      );
      return all.every((h) =>
        h?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
    },
    { timeoutMs: 60_000, what: `hosts ${hosts.join(', ')} Ready` },
  );
  return {
    work,
    hostsNs,
    hosts,
    roots,
    agents,
    manager,
    api,
    startAgent: start,
    deleteAll: async (clusterScoped) => {
      const c = cluster;
      const kinds = [
        'volumeoperations.evs.kcloud.io',
        'volumesnapshots.evs.kcloud.io',
        'volumes.evs.kcloud.io',
        'images.ecs.kcloud.io',
      ];
      for (const kind of kinds) {
        const r = await c.kubectl(['delete', kind, '--all', '-n', ns, '--timeout=120s']);
        if (r.code !== 0) throw new Error(`deleting ${kind}: ${r.stderr}`);
      }
      if (clusterScoped.length > 0) {
        // A test that did not run (a -t filter) made none of its own: that is no failure.
        const r = await c.kubectl([
          'delete',
          '--ignore-not-found',
          ...clusterScoped,
          '--timeout=120s',
        ]);
        if (r.code !== 0) throw new Error(`deleting ${clusterScoped.join(' ')}: ${r.stderr}`);
      }
    },
    filePool: (host, poolPath) => new FilePool({ dir: path.join(roots[host] ?? '/', poolPath) }),
    stop: async () => {
      await Promise.all(Object.values(agents).map((a) => a.stop()));
      await manager.stop();
      // Hosts are cluster-scoped: gone with their agents, or they would stay, not Ready.
      await cluster.kubectl([
        'delete',
        '--ignore-not-found',
        '--wait=false',
        ...hosts.map((h) => `hosts.ecs.kcloud.io/${h}`),
      ]);
      await cluster.kubectl([
        'delete',
        '--ignore-not-found',
        `validatingadmissionpolicybinding/${policy}`,
        `validatingadmissionpolicy/${policy}`,
        `clusterrolebinding/${policy}`,
        `clusterrole/${policy}`,
        `namespace/${hostsNs}`,
        '--wait=false',
      ]);
      await api.close();
      // KCLOUD_TEST_KEEP=1 keeps the agents' logs and pools for a look after a failure.
      if (process.env.KCLOUD_TEST_KEEP === '1') console.log(`kept ${work}`);
      else await cleanup();
    },
  };
}

/** A typed client for a kind of the test. */
export function clientFor<T extends KubeObject>(
  world: EvsWorld,
  ref: ResourceRef,
): ObjectClient<T> {
  return new ObjectClient<T>(world.api, ref);
}

export type WithConditions = KubeObject & {
  status?: { conditions?: Condition[]; phase?: string; storagePool?: string };
};

export const ready = (o: WithConditions | undefined) =>
  o?.status?.conditions?.find((c) => c.type === 'Ready');

/** Waits until the object's Ready condition is `status` (with `reason`, when given). */
export async function waitReady<T extends WithConditions>(
  get: () => Promise<T>,
  status: string,
  reason?: string,
): Promise<T> {
  let last: T | undefined;
  return waitFor(
    async () => {
      last = await get().catch(() => undefined);
      const c = ready(last);
      return c?.status === status && (reason === undefined || c.reason === reason)
        ? last
        : undefined;
    },
    {
      timeoutMs: 120_000,
      what: `${last?.kind ?? 'object'} Ready=${status}${reason ? ` (${reason})` : ''}`,
      describe: async () => JSON.stringify((await get().catch(() => undefined))?.status, null, 2),
    },
  );
}
