// Hosts on the real API server: kcloud-agent (a real process, with its host's certificate)
// registers its Host and heartbeats; the manager's host-lifecycle controller marks it Ready,
// Unknown (HeartbeatLost) once the agent is killed and its Lease plus the grace period have
// passed, Ready again when it restarts (nothing duplicated), not Schedulable when cordoned; and
// one simulating agent registers three Ready Hosts, another more hosts than its selector names
// (its scope then filtered on the client), re-registering one that is deleted.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { serviceAccountUser } from '../../../agent/access/index.ts';
import { cpuArch } from '../../../agent/host/cpu.ts';
import { hostNames, maxNamedHosts } from '../../../agent/host/names.ts';
import {
  ApiClient,
  coordinationLeaseClient,
  loadKubeConfig,
  ObjectClient,
  parseTime,
  type Condition,
  type LeaseClient,
} from '../../../controllers/index.ts';
import { applyAgentAccess } from '../../../hack/demo/agent-access.ts';
import { repoRoot } from '../../../hack/cluster/index.ts';
import {
  addHostLifecycleController,
  hostResource,
  type HostObject,
} from '../../../operators/ecs/index.ts';
import {
  startManager,
  tempDir,
  useTestCluster,
  waitFor,
  type RunningManager,
} from '../../harness/index.ts';
import { agentKubeconfig, startAgent, type AgentProcess } from './agent-process.ts';

const cluster = useTestCluster('agent-hosts');
const graceMs = 1_000;
const agents: AgentProcess[] = [];
let work: { dir: string; cleanup: () => Promise<void> };
let ns = '';
let hostsNs = '';
let policy = '';
let host = '';
let manager: RunningManager;
let api: ApiClient;
let hosts: ObjectClient<HostObject>;
let leases: LeaseClient;

interface ManagedFields {
  manager?: string;
  subresource?: string;
  fieldsV1?: unknown;
}

const ready = (h: HostObject | undefined): Condition | undefined =>
  h?.status?.conditions?.find((c) => c.type === 'Ready');
const condition = (h: HostObject | undefined, type: string): Condition | undefined =>
  h?.status?.conditions?.find((c) => c.type === type);

async function getHost(name: string): Promise<HostObject | undefined> {
  return hosts.get(undefined, name).catch(() => undefined);
}

/** Waits until the Host's Ready condition has `status` (and `reason`, when given). */
async function waitReady(name: string, status: string, reason?: string): Promise<HostObject> {
  return waitFor(
    async () => {
      const h = await getHost(name);
      const c = ready(h);
      return c?.status === status && (reason === undefined || c.reason === reason) ? h : undefined;
    },
    {
      timeoutMs: 60_000,
      what: `host ${name} Ready=${status}${reason ? ` (${reason})` : ''}`,
      describe: async () => JSON.stringify((await getHost(name))?.status, null, 2),
    },
  );
}

async function runAgent(name: string, extra: string[] = []): Promise<AgentProcess> {
  const kubeconfig = await agentKubeconfig(cluster.kubeconfigPath, work.dir, host);
  const agent = await startAgent(
    name,
    [
      `--kubeconfig=${kubeconfig}`,
      `--host-name=${host}`,
      `--hosts-namespace=${hostsNs}`,
      '--heartbeat-interval=1s',
      '--hypervisor=tcg',
      '--zone=zone-a',
      '--rack=r7',
      '--host-group=general',
      '--cpu-overcommit=2',
      '--reserved-memory=256Mi',
      `--state-dir=${path.join(work.dir, 'state')}`,
      ...extra,
    ],
    work.dir,
  );
  agents.push(agent);
  return agent;
}

beforeAll(async () => {
  work = await tempDir('agent-hosts');
  ns = cluster.namespace;
  hostsNs = `${ns}-hosts`;
  policy = `kcloud-agent-host-${cluster.namespace}`;
  host = `${cluster.namespace}-node`;
  await applyAgentAccess(cluster.kubeconfigPath, {
    name: policy,
    hostsNamespace: hostsNs,
    serviceAccounts: [serviceAccountUser(cluster.namespace, 'kcloud-agent')],
  });
  api = new ApiClient(loadKubeConfig(cluster.kubeconfigPath));
  hosts = new ObjectClient<HostObject>(api, hostResource);
  leases = coordinationLeaseClient(api);
  manager = await startManager((mgr) => {
    addHostLifecycleController(mgr, { hostsNamespace: hostsNs, gracePeriodMs: graceMs });
  });
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await manager.stop();
  const ours = (await hosts.list()).items
    .map((h) => h.metadata.name ?? '')
    .filter((n) => n.startsWith(ns));
  if (ours.length > 0) await cluster.kubectl(['delete', 'hosts', ...ours, '--wait=false']);
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
  await work.cleanup();
});

describe('a host’s agent', () => {
  it('registers its Host with the machine’s resources, its topology and the manager’s Ready', async () => {
    await runAgent('agent-1');
    const h = await waitReady(host, 'True', 'HostReady');
    expect(h.metadata.labels).toMatchObject({
      'ecs.kcloud.io/host': host,
      'topology.kubernetes.io/zone': 'zone-a',
      'topology.kcloud.io/rack': 'r7',
      'topology.kcloud.io/host-group': 'general',
    });
    expect(h.metadata.labels?.['host.kcloud.io/simulated']).toBeUndefined();
    const cpus = os.availableParallelism();
    const memory = os.totalmem();
    expect(h.status?.capacity).toMatchObject({ vcpu: cpus, memoryBytes: memory });
    expect(h.status?.allocatable).toMatchObject({
      vcpu: 2 * cpus,
      memoryBytes: memory - 256 * 2 ** 20,
    });
    expect(h.status?.cpu?.arch).toBe(cpuArch());
    expect(h.status?.cpu?.model).not.toBe('');
    expect(h.status?.hypervisor).toBe('tcg');
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(h.status?.agentVersion).toBe(pkg.version);
    expect(h.status?.phase).toBe('Ready');
    expect(condition(h, 'AgentReady')).toMatchObject({ status: 'True', reason: 'AgentReady' });
    expect(condition(h, 'Schedulable')).toMatchObject({ status: 'True' });
    expect(h.spec.unschedulable).toBe(false);

    // Each writer owns its own part of the status, under its own field manager.
    const owners = new Map(
      ((h.metadata.managedFields ?? []) as ManagedFields[])
        .filter((m) => m.subresource === 'status')
        .map((m) => [m.manager ?? '', JSON.stringify(m.fieldsV1)]),
    );
    expect(owners.get('kcloud-agent')).toContain('"f:capacity"');
    expect(owners.get('kcloud-agent')).toContain('"k:{\\"type\\":\\"AgentReady\\"}"');
    expect(owners.get('kcloud-agent')).not.toContain('"f:phase"');
    expect(owners.get('kcloud-manager-hosts')).toContain('"k:{\\"type\\":\\"Ready\\"}"');
    expect(owners.get('kcloud-manager-hosts')).toContain('"f:phase"');
    expect(owners.get('kcloud-manager-hosts')).not.toContain('"f:capacity"');

    // kubectl get hosts shows it with the printer columns.
    const got = await cluster.kubectl(['get', 'host', host]);
    expect(got.stdout.split('\n')[0]).toMatch(
      /^NAME +READY +HYPERVISOR +VCPU +MEMORY +SCHEDULABLE +AGE$/,
    );
    expect(got.stdout.split('\n')[1]).toMatch(
      new RegExp(`^${host} +True +tcg +${String(2 * cpus)} +\\S+Gi +True +`),
    );
  });

  it('is Unknown, HeartbeatLost, once killed and its Lease and the grace period have run out', async () => {
    const agent = agents.at(-1);
    if (!agent) throw new Error('no agent running');
    await agent.stop('SIGKILL');
    const lease = await leases.get(hostsNs, host);
    const lost = await waitReady(host, 'Unknown', 'HeartbeatLost');
    expect(lost.status?.phase).toBe('Unknown');
    expect(condition(lost, 'Schedulable')).toMatchObject({
      status: 'False',
      reason: 'HostNotReady',
    });
    // Not before the deadline: the last renewal + the Lease's duration + the grace period
    // (lastTransitionTime has whole seconds).
    const renewed = parseTime(lease?.spec?.renewTime) ?? 0;
    const deadline = renewed + (lease?.spec?.leaseDurationSeconds ?? 0) * 1000 + graceMs;
    expect(parseTime(ready(lost)?.lastTransitionTime)).toBeGreaterThanOrEqual(
      Math.floor(deadline / 1000) * 1000,
    );
    // The heartbeat it last wrote is still the one there: the manager only read it.
    expect((await leases.get(hostsNs, host))?.spec?.renewTime).toBe(lease?.spec?.renewTime);
  });

  it('is Ready again after a restart, with nothing duplicated', async () => {
    const before = await leases.get(hostsNs, host);
    const uid = (await getHost(host))?.metadata.uid;
    await runAgent('agent-2');
    const h = await waitReady(host, 'True', 'HostReady');
    expect(h.metadata.uid).toBe(uid);
    const bound = (await hosts.list({ labelSelector: `ecs.kcloud.io/host=${host}` })).items;
    expect(bound.map((x) => x.metadata.name)).toEqual([host]);
    const all = (await cluster.kubectl(['get', 'leases', '-n', hostsNs, '-o', 'name'])).stdout
      .trim()
      .split('\n');
    expect(all).toEqual([`lease.coordination.k8s.io/${host}`]);
    const after = await leases.get(hostsNs, host);
    expect(after?.metadata.uid).toBe(before?.metadata.uid);
    expect(after?.spec?.acquireTime).toBe(before?.spec?.acquireTime);
    expect(h.status?.conditions?.filter((c) => c.type === 'Ready')).toHaveLength(1);
  });

  it('is not Schedulable, reason Cordoned, while cordoned, and its agent keeps it that way', async () => {
    const cordon = await cluster.kubectl([
      'patch',
      'host',
      host,
      '--type=merge',
      '-p',
      '{"spec":{"unschedulable":true}}',
    ]);
    expect(cordon.stderr).toBe('');
    const cordoned = await waitFor(
      async () => {
        const h = await getHost(host);
        return condition(h, 'Schedulable')?.reason === 'Cordoned' ? h : undefined;
      },
      { timeoutMs: 30_000, what: `host ${host} Schedulable=False (Cordoned)` },
    );
    expect(condition(cordoned, 'Schedulable')).toMatchObject({
      status: 'False',
      observedGeneration: cordoned.metadata.generation,
    });
    expect(ready(cordoned)?.status).toBe('True');
    const got = await cluster.kubectl(['get', 'host', host, '--no-headers']);
    expect(got.stdout).toMatch(new RegExp(`^${host} +True +tcg +\\d+ +\\S+ +False +`));

    await cluster.kubectl([
      'patch',
      'host',
      host,
      '--type=merge',
      '-p',
      '{"spec":{"unschedulable":false}}',
    ]);
    await waitFor(async () => condition(await getHost(host), 'Schedulable')?.status === 'True', {
      timeoutMs: 30_000,
      what: `host ${host} Schedulable again`,
    });
  });
});

describe('an agent told to reserve more memory than the machine has', () => {
  it('reports why, and its Host is NotReady, Ready=False with the agent’s reason', async () => {
    const small = `${ns}-small`;
    const kubeconfig = await agentKubeconfig(cluster.kubeconfigPath, work.dir, small);
    agents.push(
      await startAgent(
        'agent-small',
        [
          `--kubeconfig=${kubeconfig}`,
          `--host-name=${small}`,
          `--hosts-namespace=${hostsNs}`,
          '--heartbeat-interval=1s',
          '--hypervisor=tcg',
          '--reserved-memory=1Pi',
          `--state-dir=${path.join(work.dir, 'state')}`,
        ],
        work.dir,
      ),
    );
    const h = await waitReady(small, 'False', 'AgentNotReady');
    expect(h.status?.phase).toBe('NotReady');
    expect(condition(h, 'AgentReady')).toMatchObject({
      status: 'False',
      reason: 'ReservedMemoryTooLarge',
    });
    expect(ready(h)?.message).toContain('--reserved-memory=1Pi leaves no memory for instances');
    expect(h.status?.allocatable?.memoryBytes).toBe(0);
    expect(condition(h, 'Schedulable')).toMatchObject({ status: 'False', reason: 'HostNotReady' });
  });
});

describe('a simulating agent', () => {
  /** One agent process answering for `count` simulated hosts named after `name`. */
  async function startSimulator(
    label: string,
    name: string,
    count: number,
    heartbeat: string,
  ): Promise<void> {
    const kubeconfig = await agentKubeconfig(cluster.kubeconfigPath, work.dir, name, {
      simulator: true,
    });
    const agent = await startAgent(
      label,
      [
        `--kubeconfig=${kubeconfig}`,
        `--host-name=${name}`,
        `--hosts-namespace=${hostsNs}`,
        `--heartbeat-interval=${heartbeat}`,
        '--hypervisor=tcg',
        `--simulate=${String(count)}`,
        `--state-dir=${path.join(work.dir, `state-${label}`)}`,
      ],
      work.dir,
    );
    agents.push(agent);
  }

  it('registers N simulated Hosts from one process, each with its heartbeat, all Ready', async () => {
    const name = `${cluster.namespace}-bench`;
    await startSimulator('simulator', name, 3, '1s');
    const names = [1, 2, 3].map((i) => `${name}-sim-${String(i)}`);
    for (const n of names) {
      const h = await waitReady(n, 'True', 'HostReady');
      expect(h.metadata.labels).toMatchObject({
        'host.kcloud.io/simulated': 'true',
        'ecs.kcloud.io/host': n,
      });
      const lease = await leases.get(hostsNs, n);
      expect(lease?.metadata.labels?.['host.kcloud.io/simulated']).toBe('true');
    }
    const simulated = (await hosts.list({ labelSelector: 'host.kcloud.io/simulated=true' })).items
      .map((h) => h.metadata.name)
      .filter((n) => n?.startsWith(name))
      .sort();
    expect(simulated).toEqual(names);
    // It answers for the simulated hosts only: no Host of its own name.
    expect(await getHost(name)).toBeUndefined();
  });

  it('answers for more hosts than its selector names, and hears of one of their Hosts deleted', async () => {
    const name = `${cluster.namespace}-many`;
    const count = maxNamedHosts + 1;
    // About 50 renewals a second.
    await startSimulator('many-simulator', name, count, '2s');
    const names = hostNames(name, count);
    for (const n of names) await waitReady(n, 'True', 'HostReady');
    // Its Host informer lists every bound Host and keeps its own: this deletion reaches its
    // registration only through that filter, which registers the Host again.
    const last = names.at(-1) ?? '';
    const before = await getHost(last);
    await hosts.delete(undefined, last);
    const again = await waitFor(
      async () => {
        const h = await getHost(last);
        return h && h.metadata.uid !== before?.metadata.uid ? h : undefined;
      },
      { timeoutMs: 60_000, what: `host ${last} registered again` },
    );
    expect(again.metadata.labels?.['ecs.kcloud.io/host']).toBe(last);
    await waitReady(last, 'True', 'HostReady');
  });
});
