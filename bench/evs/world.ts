// What the EVS benchmark runs against: the EVS CRDs, the manager's host-lifecycle and EVS
// controllers (in this process), one real kcloud-agent with its host certificate and its own
// filesystem root, a File Local pool and an RBD pool with a type each, and one imported image
// per pool that every volume is cloned from.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Clock } from '../../controllers/clock/index.ts';
import {
  loadKubeConfig,
  ObjectClient,
  type ApiClient,
  type KubeObject,
} from '../../controllers/kube/index.ts';
import { createLogger } from '../../controllers/logging/logger.ts';
import { Manager } from '../../controllers/manager/index.ts';
import type { RunLayout } from '../../hack/cluster/index.ts';
import { applyAgentAccess, writeAgentKubeconfig } from '../../hack/demo/agent-access.ts';
import {
  addHostLifecycleController,
  Host,
  Image,
  type HostObject,
} from '../../operators/ecs/index.ts';
import { addEvsControllers, evsKinds } from '../../operators/evs/index.ts';
import { createNamespace, installCrds } from '../lib/cluster-objects.ts';
import { until } from '../lib/until.ts';
import { startAgentProcess, type AgentProcess } from './agent-process.ts';
import type { BenchCeph } from './ceph-run.ts';

const exec = promisify(execFile);

export const evsApiVersion = 'evs.kcloud.io/v1alpha1';
const ecsApiVersion = 'ecs.kcloud.io/v1alpha1';
const hostsNamespace = 'kcloud-hosts';
const fieldManager = 'kcloud-bench';
export const hostName = 'bench-evs-host';

/** One pool kind under test: where its volumes go, and the image they are cloned from. */
export interface PoolUnderTest {
  kind: 'file' | 'rbd';
  /** The namespace of its image and volumes. */
  namespace: string;
  volumeType: string;
  image: string;
  /** The image's UID, which names its data in the pool. */
  imageUid: string;
}

export interface EvsWorld {
  manager: Manager;
  agent: AgentProcess;
  /** The file pool's directory as this process sees it. */
  filePoolDir: string;
  pools: { file: PoolUnderTest; rbd: PoolUnderTest };
  stop(): Promise<void>;
}

interface Env {
  api: ApiClient;
  layout: RunLayout;
  kubeconfigPath: string;
  ceph: BenchCeph;
  workDir: string;
  /** The image's virtual size: every volume is this size, so a clone needs no resize. */
  sizeBytes: number;
  clock: Clock;
  print: (line: string) => void;
}

async function apply(api: ApiClient, obj: KubeObject & { apiVersion: string; kind: string }) {
  const [group = '', version = ''] = obj.apiVersion.includes('/')
    ? obj.apiVersion.split('/')
    : ['', obj.apiVersion];
  const kinds: Record<string, { plural: string; namespaced: boolean }> = {
    StoragePool: { plural: 'storagepools', namespaced: false },
    VolumeType: { plural: 'volumetypes', namespaced: false },
    Image: { plural: 'images', namespaced: true },
    Secret: { plural: 'secrets', namespaced: true },
  };
  const k = kinds[obj.kind];
  if (!k) throw new Error(`the benchmark does not apply ${obj.kind}`);
  const client = new ObjectClient<KubeObject>(api, { group, version, kind: obj.kind, ...k });
  return client.patch(obj.metadata.namespace, obj.metadata.name ?? '', 'apply', obj, {
    fieldManager,
    force: true,
  });
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function ready(obj: { status?: { conditions?: { type: string; status: string }[] } } | undefined) {
  return obj?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

async function waitReady(
  env: Env,
  client: ObjectClient<KubeObject>,
  namespace: string | undefined,
  name: string,
): Promise<KubeObject> {
  let last: KubeObject | undefined;
  await until(
    async () => {
      last = await client.get(namespace, name).catch(() => undefined);
      return ready(last as Parameters<typeof ready>[0]);
    },
    { clock: env.clock, timeoutMs: 300_000, what: `${name} Ready`, intervalMs: 200 },
  ).catch((err: unknown) => {
    throw new Error(
      `${(err as Error).message}; last status ${JSON.stringify((last as { status?: unknown } | undefined)?.status)}`,
    );
  });
  return last as KubeObject;
}

/** Installs the kinds, starts the manager and the agent, and makes the pools and images. */
export async function startEvsWorld(env: Env): Promise<EvsWorld> {
  const { api, clock, print } = env;
  await installCrds(api, clock, [...evsKinds, Image, Host]);
  await applyAgentAccess(env.kubeconfigPath, {
    name: 'kcloud-agent-host',
    hostsNamespace,
    serviceAccounts: [],
  });

  const manager = new Manager({
    kubeconfig: loadKubeConfig(env.kubeconfigPath),
    log: createLogger('kcloud-bench-evs', 'warn'),
    identity: 'kcloud-bench-evs',
  });
  addHostLifecycleController(manager, { hostsNamespace, gracePeriodMs: 30_000 });
  addEvsControllers(manager);
  const stopManager = new AbortController();
  const running = manager.run(stopManager.signal);
  const stops: (() => Promise<void>)[] = [
    async () => {
      stopManager.abort(new Error('benchmark over'));
      await running;
    },
  ];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s();
  };
  try {
    await until(() => manager.isReady(), {
      clock,
      timeoutMs: 60_000,
      what: 'the manager to be ready',
    });

    const hostRoot = path.join(env.workDir, 'host-root');
    const importDir = path.join(hostRoot, 'import');
    const filePoolDir = path.join(hostRoot, 'pools', 'local');
    await mkdir(importDir, { recursive: true });
    await mkdir(filePoolDir, { recursive: true });
    const agentDir = path.join(env.workDir, 'agent');
    const kubeconfig = await writeAgentKubeconfig(
      env.layout.pkiDir,
      env.kubeconfigPath,
      agentDir,
      hostName,
    );
    const agent = await startAgentProcess({
      args: [
        `--kubeconfig=${kubeconfig}`,
        `--host-name=${hostName}`,
        `--hosts-namespace=${hostsNamespace}`,
        '--heartbeat-interval=2s',
        '--hypervisor=tcg',
        `--state-dir=${path.join(agentDir, 'state')}`,
        `--host-root=${hostRoot}`,
        '--image-import-dirs=/import',
        '--pool-report-interval=5s',
        '--log-level=warn',
      ],
      logFile: path.join(env.workDir, 'agent.log'),
      clock,
    });
    stops.push(() => agent.stop());
    const hosts = new ObjectClient<HostObject>(api, Host.resource);
    await waitReady(env, hosts, undefined, hostName);
    print(`host ${hostName} Ready (agent log ${path.join(env.workDir, 'agent.log')})`);

    // The image: a qcow2 file on the host with some data in it, imported into each pool.
    const imageFile = path.join(importDir, 'base.qcow2');
    await exec('qemu-img', ['create', '-q', '-f', 'qcow2', imageFile, String(env.sizeBytes)]);
    await exec('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xab 0 4M', imageFile]);
    const sum = await sha256(imageFile);

    const secret = 'bench-evs-ceph';
    await apply(api, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secret, namespace: hostsNamespace },
      data: { key: Buffer.from(env.ceph.user.key).toString('base64') },
    } as KubeObject & { apiVersion: string; kind: string });
    const poolSpecs = {
      file: { type: 'File', file: { path: '/pools/local', scope: 'Local' } },
      rbd: {
        type: 'RBD',
        rbd: {
          monitors: [env.ceph.monitor],
          pool: env.ceph.pool,
          user: env.ceph.user.id,
          secretRef: { name: secret, namespace: hostsNamespace },
        },
      },
    };
    const made = {} as Record<'file' | 'rbd', PoolUnderTest>;
    for (const kind of ['file', 'rbd'] as const) {
      const name = `bench-${kind}`;
      const namespace = `bench-evs-${kind}`;
      await createNamespace(api, namespace);
      await apply(api, {
        apiVersion: evsApiVersion,
        kind: 'StoragePool',
        metadata: { name },
        spec: poolSpecs[kind],
      } as KubeObject & { apiVersion: string; kind: string });
      await apply(api, {
        apiVersion: evsApiVersion,
        kind: 'VolumeType',
        metadata: { name },
        spec: { storagePoolRef: { name } },
      } as KubeObject & { apiVersion: string; kind: string });
      await apply(api, {
        apiVersion: ecsApiVersion,
        kind: 'Image',
        metadata: { name: 'base', namespace },
        spec: {
          source: { hostFile: { host: hostName, path: '/import/base.qcow2', sha256: sum } },
          storagePoolRef: { name },
        },
      } as KubeObject & { apiVersion: string; kind: string });
      const images = new ObjectClient<KubeObject>(api, Image.resource);
      const image = await waitReady(env, images, namespace, 'base');
      print(`image ${namespace}/base imported into the ${kind} pool`);
      made[kind] = {
        kind,
        namespace,
        volumeType: name,
        image: 'base',
        imageUid: image.metadata.uid ?? '',
      };
    }
    return { manager, agent, filePoolDir, pools: made, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
