// What the benchmark runs against: every kcloud CRD, the agents' access (the simulator group
// granted as make demo does), one kcloud-agent process answering for N simulated hosts with the
// simulator's certificate, one kcloud-manager process with the ecs and evs operators on the
// benchmark's namespace, and what an Instance needs there: a Flavor, a StoragePool (every
// simulated host reaches it, in memory) with its VolumeType, and an Image in that pool.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Clock } from '../../controllers/clock/index.ts';
import { ObjectClient, type ApiClient, type KubeObject } from '../../controllers/kube/index.ts';
import { repoRoot, type RunLayout } from '../../hack/cluster/index.ts';
import { applyAgentAccess, writeAgentKubeconfig } from '../../hack/demo/agent-access.ts';
import {
  Flavor,
  Host,
  Image,
  simulatedLabel,
  type HostObject,
  type ImageObject,
} from '../../operators/ecs/index.ts';
import { StoragePool, VolumeType } from '../../operators/evs/api/index.ts';
import { productKinds } from '../../operators/kinds.ts';
import { createNamespace, installCrds } from '../lib/cluster-objects.ts';
import { DaemonProcess } from '../lib/daemon-process.ts';
import { formatCount } from '../lib/progress.ts';
import { until } from '../lib/until.ts';

export const names = {
  /** Where the manager acts: the instances measured. */
  namespace: 'bench-ecs',
  /** Where it does not: the baseline's instances. */
  plain: 'bench-plain',
  hostsNamespace: 'kcloud-hosts',
  /** The simulator's name: its hosts are bench-sim-1 … bench-sim-N. */
  simulator: 'bench',
  pool: 'bench-sim',
  flavor: 'bench.small',
  image: 'bench',
} as const;

/** vCPUs per host CPU the agent offers: room for every instance of the largest run. */
export const cpuOvercommit = 16;

const fieldManager = 'kcloud-bench';

export interface ScaleWorld {
  manager: DaemonProcess;
  agent: DaemonProcess;
  /** From the agent's start to every host Ready, Schedulable and reaching the pool. */
  hostsReadyMs: number;
  stop(): Promise<void>;
}

export interface WorldEnv {
  api: ApiClient;
  layout: RunLayout;
  kubeconfigPath: string;
  hosts: number;
  heartbeatSeconds: number;
  /** The manager's --scheduler-workers; its default when not given. */
  schedulerWorkers?: number;
  clock: Clock;
  print: (line: string) => void;
}

async function apply(api: ApiClient, kind: { resource: object; kind: string }, obj: KubeObject) {
  const client = new ObjectClient<KubeObject>(api, {
    ...(kind.resource as ConstructorParameters<typeof ObjectClient>[1]),
    kind: kind.kind,
  });
  await client.patch(obj.metadata.namespace, obj.metadata.name ?? '', 'apply', obj, {
    fieldManager,
    force: true,
  });
}

type Conditioned = KubeObject & {
  status?: { conditions?: { type: string; status: string; reason?: string }[] };
};
const isTrue = (o: Conditioned | undefined, type: string) =>
  o?.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;

/** A simulated host the scheduler may use: Ready, Schedulable, reaching the benchmark's pool. */
export function hostUsable(h: HostObject): boolean {
  return (
    isTrue(h, 'Ready') &&
    isTrue(h, 'Schedulable') &&
    (h.status?.storagePools ?? []).some((p) => p.name === names.pool)
  );
}

/** The Instance the benchmark creates: no NICs, a boot volume in the simulated pool. */
export function instanceObject(namespace: string, name: string): KubeObject {
  return {
    apiVersion: 'ecs.kcloud.io/v1alpha1',
    kind: 'Instance',
    metadata: { name, namespace },
    spec: {
      flavorRef: { name: names.flavor },
      imageRef: { name: names.image },
      bootVolume: { volumeTypeRef: { name: names.pool } },
      placement: { hostSelector: { [simulatedLabel]: 'true' } },
    },
  } as KubeObject;
}

export async function startWorld(env: WorldEnv): Promise<ScaleWorld> {
  const { api, clock, print } = env;
  await installCrds(api, clock, productKinds);
  await applyAgentAccess(env.kubeconfigPath, {
    name: 'kcloud-agent-host',
    hostsNamespace: names.hostsNamespace,
    serviceAccounts: [],
  });
  await createNamespace(api, names.namespace);
  await createNamespace(api, names.plain);
  const evs = 'evs.kcloud.io/v1alpha1';
  const ecs = 'ecs.kcloud.io/v1alpha1';
  // A Shared File pool: every host may use it. Simulated hosts answer for it from memory and
  // never touch its path.
  await apply(api, StoragePool, {
    apiVersion: evs,
    kind: 'StoragePool',
    metadata: { name: names.pool },
    spec: { type: 'File', file: { path: '/pools/bench-sim', scope: 'Shared' } },
  } as KubeObject);
  await apply(api, VolumeType, {
    apiVersion: evs,
    kind: 'VolumeType',
    metadata: { name: names.pool },
    spec: { storagePoolRef: { name: names.pool } },
  } as KubeObject);
  await apply(api, Flavor, {
    apiVersion: ecs,
    kind: 'Flavor',
    metadata: { name: names.flavor },
    spec: { vcpu: 1, memory: '256Mi' },
  } as KubeObject);

  const logDir = env.layout.logDir;
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s();
  };
  try {
    const manager = await DaemonProcess.start({
      what: 'the manager',
      script: path.join(repoRoot, 'operators', 'manager', 'main.ts'),
      args: [
        `--kubeconfig=${env.kubeconfigPath}`,
        '--operators=ecs,evs',
        `--namespace=${names.namespace}`,
        `--hosts-namespace=${names.hostsNamespace}`,
        '--leader-elect=false',
        '--identity=kcloud-bench-ecs-scale',
        '--log-level=warn',
        ...(env.schedulerWorkers === undefined
          ? []
          : [`--scheduler-workers=${String(env.schedulerWorkers)}`]),
      ],
      logFile: path.join(logDir, 'kcloud-manager.log'),
      clock,
    });
    stops.push(() => manager.stop());
    print('the manager is ready (ecs, evs)');

    const agentDir = path.join(env.layout.runDir, 'agent');
    const kubeconfig = await writeAgentKubeconfig(
      env.layout.pkiDir,
      env.kubeconfigPath,
      agentDir,
      names.simulator,
      { simulator: true },
    );
    const agentStarted = clock.now();
    const agent = await DaemonProcess.start({
      what: 'kcloud-agent',
      script: path.join(repoRoot, 'agent', 'main.ts'),
      args: [
        `--kubeconfig=${kubeconfig}`,
        `--host-name=${names.simulator}`,
        `--simulate=${String(env.hosts)}`,
        `--hosts-namespace=${names.hostsNamespace}`,
        `--heartbeat-interval=${String(env.heartbeatSeconds)}s`,
        '--hypervisor=tcg',
        `--cpu-overcommit=${String(cpuOvercommit)}`,
        `--state-dir=${path.join(agentDir, 'state')}`,
        '--log-level=warn',
      ],
      logFile: path.join(logDir, 'kcloud-agent.log'),
      clock,
    });
    stops.push(() => agent.stop());
    print(`kcloud-agent is ready: ${formatCount(env.hosts)} simulated hosts`);

    const hosts = new ObjectClient<HostObject>(api, Host.resource);
    let usable = 0;
    await until(
      async () => {
        const list = await hosts.listAll({ labelSelector: `${simulatedLabel}=true` });
        usable = list.filter(hostUsable).length;
        return usable >= env.hosts;
      },
      {
        clock,
        // Registration goes through the agent's controllers a host at a time: 5,000 take minutes.
        timeoutMs: Math.max(600_000, env.hosts * 200),
        intervalMs: 2_000,
        what: `${String(env.hosts)} hosts Ready and reaching ${names.pool} (${String(usable)} so far)`,
      },
    );
    const hostsReadyMs = clock.now() - agentStarted;
    print(
      `${formatCount(env.hosts)} hosts Ready, Schedulable, reaching ${names.pool}, ${(hostsReadyMs / 1000).toFixed(1)} s after the agent started`,
    );

    // The image: nothing is downloaded, a simulated pool holds it in memory.
    await apply(api, Image, {
      apiVersion: ecs,
      kind: 'Image',
      metadata: { name: names.image, namespace: names.namespace },
      spec: {
        source: {
          url: {
            url: 'http://bench.invalid/bench.qcow2',
            // Of no file: nothing is downloaded into a simulated pool.
            sha256: createHash('sha256').update('').digest('hex'),
          },
        },
        storagePoolRef: { name: names.pool },
      },
    } as KubeObject);
    const images = new ObjectClient<ImageObject>(api, Image.resource);
    let image: ImageObject | undefined;
    await until(
      async () => {
        image = await images.get(names.namespace, names.image).catch(() => undefined);
        return isTrue(image, 'Ready');
      },
      { clock, timeoutMs: 120_000, what: `Image ${names.image} Ready` },
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; its status: ${JSON.stringify(image?.status)}`);
    });
    print(`Image ${names.namespace}/${names.image} Ready in ${names.pool}`);
    return { manager, agent, hostsReadyMs, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
