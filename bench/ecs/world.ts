// What the ECS benchmark runs against, on a control plane and an OVN with its data plane of its
// own: kcloud-manager as its own process with the vpc, evs and ecs operators; one real
// kcloud-agent running VMs with QEMU, its taps in br-int; a File Local pool with the demo guest
// imported as an Image; a VPC, a Subnet and a SecurityGroup letting ping in; a probe namespace
// plugged into br-int as a NetworkInterface of that Subnet, which pings the guests; and one
// NetworkInterface per bare-QEMU launch, whose port the baseline's tap is bound to.
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../controllers/clock/index.ts';
import type { ApiClient } from '../../controllers/kube/index.ts';
import { kubectlOk, repoRoot, type RunLayout } from '../../hack/cluster/index.ts';
import { applyAgentAccess, writeAgentKubeconfig } from '../../hack/demo/agent-access.ts';
import { readDemoGuest, guestDir } from '../../hack/guest/index.ts';
import { dataPlaneNetns, startGuest, type Guest, type OvnLayout } from '../../hack/ovn/index.ts';
import { productKinds } from '../../operators/kinds.ts';
import { createNamespace, installCrds } from '../lib/cluster-objects.ts';
import { DaemonProcess } from '../lib/daemon-process.ts';
import { until } from '../lib/until.ts';
import { startAgentProcess, type AgentProcess } from '../evs/agent-process.ts';

export const namespace = 'bench-ecs';
export const hostName = 'bench-ecs-host';
export const flavorName = 'bench-ecs-small';
const hostsNamespace = 'kcloud-hosts';
const pool = 'bench-ecs-local';
export const subnetName = 'web';
export const securityGroupName = 'web';
const vpcApi = 'vpc.kcloud.io/v1alpha1';
const evsApi = 'evs.kcloud.io/v1alpha1';
const ecsApi = 'ecs.kcloud.io/v1alpha1';

/** What a Ready NetworkInterface reports. */
export interface NicStatus {
  portName: string;
  macAddress: string;
  ipAddress: string;
  prefixLength: number;
  gatewayIP: string;
}

export interface EcsWorld {
  manager: DaemonProcess;
  agent: AgentProcess;
  /** The agent's ECS state folder: VMs' run directories are in its vms/. */
  ecsStateDir: string;
  /** The data plane's network namespace, where taps are made and QEMU runs. */
  vmNetns: string;
  /** The demo guest as imported into the pool: what every boot volume is a clone of. */
  imageFile: string;
  kernelVersion: string;
  /** How guests run on the host, as its probe (or its flag) decided: tcg here. */
  accel: 'kvm' | 'tcg';
  probe: Guest;
  /** The NetworkInterface of the `i`th bare-QEMU launch (one each). */
  bareNic(i: number): NicStatus;
  stop(): Promise<void>;
}

export interface WorldEnv {
  api: ApiClient;
  layout: RunLayout;
  kubeconfigPath: string;
  ovn: OvnLayout;
  nbEndpoint: string;
  workDir: string;
  bareCount: number;
  clock: Clock;
  print: (line: string) => void;
}

/** An object of the bench's namespace; `clusterScoped` for a pool, type or flavor. */
const doc = (
  apiVersion: string,
  kind: string,
  name: string,
  spec: object,
  clusterScoped = false,
) => ({
  apiVersion,
  kind,
  metadata: { name, ...(clusterScoped ? {} : { namespace }) },
  spec,
});

export const bareNicName = (i: number) => `bare-${String(i + 1)}`;

async function nicStatus(kubeconfig: string, name: string): Promise<NicStatus> {
  const got = JSON.parse(
    await kubectlOk(kubeconfig, [
      'get',
      '-n',
      namespace,
      `networkinterfaces.vpc.kcloud.io/${name}`,
      '-o',
      'json',
    ]),
  ) as { status: NicStatus };
  return got.status;
}

/** Installs the kinds, starts the manager and the agent, and makes the objects every run uses. */
export async function startEcsWorld(env: WorldEnv): Promise<EcsWorld> {
  const { api, clock, print, kubeconfigPath: kubeconfig } = env;
  // Every product's: the operators read other products' kinds too (the vpc operator a
  // NATGateway's EIPs), and a kind the server lacks keeps the manager's caches from syncing.
  await installCrds(api, clock, productKinds);
  await applyAgentAccess(kubeconfig, {
    name: 'kcloud-agent-host',
    hostsNamespace,
    serviceAccounts: [],
  });
  await createNamespace(api, namespace);

  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s();
  };
  try {
    const manager = await DaemonProcess.start({
      what: 'the manager',
      script: path.join(repoRoot, 'operators', 'manager', 'main.ts'),
      args: [
        `--kubeconfig=${kubeconfig}`,
        '--operators=vpc,evs,ecs',
        '--leader-elect=false',
        `--ovn-nb=${env.nbEndpoint}`,
        `--hosts-namespace=${hostsNamespace}`,
        '--identity=kcloud-bench-ecs',
        '--log-level=warn',
      ],
      logFile: path.join(env.workDir, 'manager.log'),
      clock,
    });
    stops.push(() => manager.stop());

    const guest = await readDemoGuest(guestDir());
    const hostRoot = path.join(env.workDir, 'host-root');
    const poolDir = path.join(hostRoot, 'pools', 'local');
    await mkdir(path.join(hostRoot, 'import'), { recursive: true });
    await mkdir(poolDir, { recursive: true });
    await copyFile(guest.image, path.join(hostRoot, 'import', 'demo.qcow2'));
    const agentDir = path.join(env.workDir, 'agent');
    const stateDir = path.join(agentDir, 'state');
    const vmNetns = await dataPlaneNetns(env.ovn);
    const agent = await startAgentProcess({
      args: [
        `--kubeconfig=${await writeAgentKubeconfig(env.layout.pkiDir, kubeconfig, agentDir, hostName)}`,
        `--host-name=${hostName}`,
        `--hosts-namespace=${hostsNamespace}`,
        '--heartbeat-interval=2s',
        '--hypervisor=tcg',
        `--state-dir=${stateDir}`,
        `--host-root=${hostRoot}`,
        '--image-import-dirs=/import',
        '--pool-report-interval=5s',
        `--vm-netns=${vmNetns}`,
        `--ovs-db=unix:${env.ovn.vswitch.socket}`,
        // The guest powers off on ACPI in about a second; deletion waits at most this long.
        '--vm-stop-timeout=10s',
        '--log-level=warn',
      ],
      logFile: path.join(env.workDir, 'agent.log'),
      clock,
    });
    stops.push(() => agent.stop());
    // Polled rather than `kubectl wait`, which fails at once while the Host does not exist yet.
    await until(
      async () => {
        const ready = await kubectlOk(kubeconfig, [
          'get',
          'hosts.ecs.kcloud.io',
          '--ignore-not-found',
          '-o',
          'jsonpath={.items[?(@.metadata.name=="' +
            hostName +
            '")].status.conditions[?(@.type=="Ready")].status}',
        ]);
        return ready.trim() === 'True';
      },
      { clock, timeoutMs: 180_000, what: `host ${hostName} Ready`, intervalMs: 500 },
    );
    print(`host ${hostName} Ready (manager and agent logs in ${env.workDir}, kept with --keep)`);

    const objects = [
      doc(
        evsApi,
        'StoragePool',
        pool,
        {
          type: 'File',
          file: { path: '/pools/local', scope: 'Local' },
        },
        true,
      ),
      doc(evsApi, 'VolumeType', pool, { storagePoolRef: { name: pool }, default: true }, true),
      doc(ecsApi, 'Flavor', flavorName, { vcpu: 1, memory: '256Mi' }, true),
      doc(ecsApi, 'Image', 'demo', {
        source: {
          hostFile: { host: hostName, path: '/import/demo.qcow2', sha256: guest.sha256 },
        },
        storagePoolRef: { name: pool },
      }),
      doc(vpcApi, 'VPC', 'net', { cidrBlocks: ['10.20.0.0/16'] }),
      doc(vpcApi, 'Subnet', subnetName, { vpcRef: { name: 'net' }, cidrBlock: '10.20.1.0/24' }),
      doc(vpcApi, 'SecurityGroup', securityGroupName, {
        vpcRef: { name: 'net' },
        rules: [
          { name: 'icmp', direction: 'Ingress', protocol: 'ICMP', remoteCIDR: '10.20.0.0/16' },
        ],
      }),
      ...['probe', ...Array.from({ length: env.bareCount }, (_, i) => bareNicName(i))].map((name) =>
        doc(vpcApi, 'NetworkInterface', name, {
          subnetRef: { name: subnetName },
          securityGroupRefs: [{ name: securityGroupName }],
        }),
      ),
    ];
    // Cluster-scoped objects are gone with the control plane; the namespace's go with it too.
    await kubectlOk(
      kubeconfig,
      ['apply', '--server-side', '--field-manager=kcloud-bench', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
    );
    await kubectlOk(kubeconfig, [
      'wait',
      '-n',
      namespace,
      '--for=condition=Ready',
      '--timeout=300s',
      'images.ecs.kcloud.io/demo',
      'networkinterfaces.vpc.kcloud.io/probe',
      ...Array.from(
        { length: env.bareCount },
        (_, i) => `networkinterfaces.vpc.kcloud.io/${bareNicName(i)}`,
      ),
    ]);
    const imageUid = (
      await kubectlOk(kubeconfig, [
        'get',
        '-n',
        namespace,
        'images.ecs.kcloud.io/demo',
        '-o',
        'jsonpath={.metadata.uid}',
      ])
    ).trim();
    print('image demo imported; probe and bare-QEMU NetworkInterfaces Ready');

    const p = await nicStatus(kubeconfig, 'probe');
    const probe = await startGuest(env.ovn, {
      name: 'probe',
      ifaceId: p.portName,
      mac: p.macAddress,
      address: `${p.ipAddress}/${String(p.prefixLength)}`,
      gateway: p.gatewayIP,
    });
    stops.push(() => probe.close());
    const bareNics: NicStatus[] = [];
    for (let i = 0; i < env.bareCount; i++)
      bareNics.push(await nicStatus(kubeconfig, bareNicName(i)));
    const accel = (
      await kubectlOk(kubeconfig, [
        'get',
        `hosts.ecs.kcloud.io/${hostName}`,
        '-o',
        'jsonpath={.status.hypervisor}',
      ])
    ).trim();
    if (accel !== 'tcg' && accel !== 'kvm') {
      throw new Error(`host ${hostName} reports hypervisor "${accel}", not tcg or kvm`);
    }
    return {
      manager,
      agent,
      ecsStateDir: path.join(stateDir, 'ecs'),
      vmNetns,
      imageFile: path.join(poolDir, `img-${imageUid}.qcow2`),
      kernelVersion: guest.kernelVersion,
      accel,
      probe,
      bareNic: (i) => {
        const nic = bareNics[i];
        if (!nic) throw new Error(`no NetworkInterface for bare launch ${String(i + 1)}`);
        return nic;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
