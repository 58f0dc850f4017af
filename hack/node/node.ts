import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { readState as readClusterState } from '../cluster/cluster.ts';
import { kubectl } from '../cluster/kubectl.ts';
import type { RunLayout } from '../cluster/layout.ts';
import { pkiPaths, type Pki } from '../cluster/pki.ts';
import { freePort } from '../cluster/ports.ts';
import { isHealthy, type ProbeTarget } from '../cluster/probe.ts';
import {
  hasExited,
  isOurs,
  startDetached,
  stopProcess,
  type RecordedProcess,
} from '../cluster/processes.ts';
import { nodeRbac, writeNodeCredentials } from './certs.ts';
import {
  cniConfig,
  containerdConfig,
  corednsReadyPort,
  corefile,
  kubeletConfig,
  kubeProxyConfig,
  type NodePorts,
} from './config.ts';
import {
  checkAddressesFree,
  cgroupPids,
  cleanHostPaths,
  dummyOwner,
  ensureCgroupRoot,
  ensureDummy,
  missingHostPaths,
  readSysctls,
  removeCgroupRoot,
  removeLinks,
  removePolicyRules,
  removeProxyRules,
  restoreSysctls,
  unmountUnder,
} from './host.ts';
import { buildStaticGo, writeBinaryImage } from './image.ts';
import {
  cgroupRoot,
  nodeBinary,
  nodeLayout,
  nodeNetwork,
  pauseImage,
  pauseSource,
  systemBinaries,
  type NodeLayout,
  type NodeNetwork,
} from './layout.ts';
import {
  containerdServing,
  hasImage,
  importImage,
  killAndWait,
  orphanPids,
  removeAllContainers,
  shimPids,
} from './runtime.ts';

export type NodeComponent =
  | 'apiserver-proxy'
  | 'containerd'
  | 'kube-scheduler'
  | 'kubelet'
  | 'kube-proxy'
  | 'kube-router'
  | 'coredns';

/** Start order; stop in reverse (containerd last, once its containers are gone). */
export const nodeComponents: NodeComponent[] = [
  'apiserver-proxy',
  'containerd',
  'kube-scheduler',
  'kubelet',
  'kube-proxy',
  'kube-router',
  'coredns',
];

/** What `up` records in the run folder; `down` undoes exactly this. */
export interface NodeState {
  clusterKubeconfig: string;
  network: NodeNetwork;
  ports: NodePorts;
  processes: RecordedProcess[];
  /** Kernel settings as they were before the node's first start, to put back on `down`. */
  sysctls: Record<string, string>;
  /** Host folders that did not exist before, removed on `down` when empty. */
  createdHostPaths: string[];
  /** The control plane's API server port on loopback, which the node's address forwards to. */
  apiserverPort: number;
}

export interface NodeInfo {
  nodeName: string;
  nodeIp: string;
  processes: RecordedProcess[];
  /** False when `up` found the node already running and started nothing. */
  started: boolean;
}

type Log = (line: string) => void;

const readyTimeoutMs: Record<NodeComponent, number> = {
  'apiserver-proxy': 15_000,
  containerd: 30_000,
  'kube-scheduler': 60_000,
  kubelet: 120_000,
  'kube-proxy': 60_000,
  'kube-router': 60_000,
  coredns: 60_000,
};
const nodeReadyTimeoutMs = 120_000;

/** Where pods reach the API server: the `kubernetes` Service's endpoint, on the node address. */
const apiserverProxyPort = 6443;

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, host);
    socket.setTimeout(1_000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => {
      done(true);
    });
    socket.once('error', () => {
      done(false);
    });
    socket.once('timeout', () => {
      done(false);
    });
  });
}

/**
 * The `kubernetes` Service's endpoints: the API server's own reconciler is off (it would
 * publish 127.0.0.1), so the node publishes the address pods can reach.
 */
function kubernetesEndpoints(nodeIp: string): string {
  return `apiVersion: v1
kind: Endpoints
metadata:
  name: kubernetes
  namespace: default
  labels: {endpointslice.kubernetes.io/skip-mirror: "true"}
subsets:
  - addresses: [{ip: ${nodeIp}}]
    ports: [{name: https, port: ${String(apiserverProxyPort)}, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes
  namespace: default
  labels:
    kubernetes.io/service-name: kubernetes
    endpointslice.kubernetes.io/managed-by: kcloud-node
addressType: IPv4
endpoints:
  - addresses: [${nodeIp}]
    conditions: {ready: true}
ports: [{name: https, port: ${String(apiserverProxyPort)}, protocol: TCP}]
`;
}

export async function readNodeState(layout: NodeLayout): Promise<NodeState | undefined> {
  if (!existsSync(layout.stateFile)) return undefined;
  return JSON.parse(await readFile(layout.stateFile, 'utf8')) as NodeState;
}

async function writeState(layout: NodeLayout, state: NodeState): Promise<void> {
  await writeFile(layout.stateFile, JSON.stringify(state, null, 2) + '\n');
}

function requireBinaries(): void {
  const missing = [
    ...(['kubelet', 'kube-scheduler', 'kube-proxy', 'kube-router', 'coredns'] as const).map((b) =>
      nodeBinary(b),
    ),
    systemBinaries.iptablesSave,
    systemBinaries.iptablesRestore,
    systemBinaries.ipset,
    systemBinaries.containerd,
    systemBinaries.ctr,
    systemBinaries.shim,
    systemBinaries.runc,
    systemBinaries.nft,
    path.join(systemBinaries.cniDir, 'bridge'),
    path.join(systemBinaries.cniDir, 'host-local'),
    path.join(systemBinaries.cniDir, 'loopback'),
  ].filter((b) => !existsSync(b));
  if (missing.length > 0) {
    throw new Error(`node binaries missing (${missing.join(', ')}): run \`make setup\``);
  }
  if (process.getuid?.() !== 0) throw new Error('the node needs root (network, mounts, cgroups)');
}

interface Spec {
  binary: string;
  args: string[];
  ready: () => Promise<boolean>;
}

function containerdSpec(layout: NodeLayout): Spec {
  return {
    binary: systemBinaries.containerd,
    args: ['--config', layout.containerdConfig],
    ready: () => containerdServing(layout.containerdSocket),
  };
}

function componentSpec(name: NodeComponent, layout: NodeLayout, state: NodeState, pki: Pki): Spec {
  const probe = (target: ProbeTarget) => () => isHealthy(target, pki);
  const net = state.network;
  switch (name) {
    case 'apiserver-proxy':
      return {
        binary: process.execPath,
        args: [
          path.join(import.meta.dirname, 'apiserver-proxy.ts'),
          `${net.nodeIp}:${String(apiserverProxyPort)}`,
          `127.0.0.1:${String(state.apiserverPort)}`,
        ],
        ready: () => tcpOpen(net.nodeIp, apiserverProxyPort),
      };
    case 'containerd':
      return containerdSpec(layout);
    case 'kube-scheduler':
      return {
        binary: nodeBinary('kube-scheduler'),
        args: [
          `--kubeconfig=${layout.schedulerKubeconfig}`,
          `--authentication-kubeconfig=${layout.schedulerKubeconfig}`,
          `--authorization-kubeconfig=${layout.schedulerKubeconfig}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${state.ports.schedulerSecure}`,
          // One scheduler per local cluster: leader election would only add Lease writes.
          '--leader-elect=false',
          '--profiling=false',
        ],
        ready: probe({
          url: `https://127.0.0.1:${state.ports.schedulerSecure}/healthz`,
          tls: true,
          clientCert: false,
        }),
      };
    case 'kubelet':
      return {
        binary: nodeBinary('kubelet'),
        args: [
          `--config=${layout.kubeletConfig}`,
          `--kubeconfig=${layout.kubeletKubeconfig}`,
          `--root-dir=${layout.kubeletDir}`,
          `--cert-dir=${path.join(layout.kubeletDir, 'pki')}`,
          `--hostname-override=${net.nodeName}`,
          `--node-ip=${net.nodeIp}`,
          '--v=1',
        ],
        ready: probe({
          url: `http://127.0.0.1:${state.ports.kubeletHealthz}/healthz`,
          tls: false,
          clientCert: false,
        }),
      };
    case 'kube-proxy':
      return {
        binary: nodeBinary('kube-proxy'),
        args: [`--config=${layout.proxyConfig}`],
        ready: probe({
          url: `http://127.0.0.1:${state.ports.proxyHealthz}/healthz`,
          tls: false,
          clientCert: false,
        }),
      };
    case 'kube-router':
      // Only the network policy controller: the bridge CNI enforces no NetworkPolicy, and
      // kube-proxy and the bridge already do routing and Services.
      return {
        binary: nodeBinary('kube-router'),
        args: [
          `--kubeconfig=${layout.kubeRouterKubeconfig}`,
          `--hostname-override=${net.nodeName}`,
          '--run-firewall=true',
          '--run-router=false',
          '--run-service-proxy=false',
          '--run-loadbalancer=false',
          '--enable-cni=false',
          '--enable-ipv4=true',
          '--enable-ipv6=false',
          `--service-cluster-ip-range=${net.serviceCidr}`,
          `--health-port=${String(state.ports.kubeRouterHealth)}`,
          '--metrics-port=0',
          '--v=1',
        ],
        ready: probe({
          url: `http://127.0.0.1:${String(state.ports.kubeRouterHealth)}/healthz`,
          tls: false,
          clientCert: false,
        }),
      };
    case 'coredns':
      return {
        binary: nodeBinary('coredns'),
        args: ['-conf', layout.corefile],
        ready: probe({
          url: `http://${net.nodeIp}:${corednsReadyPort}/ready`,
          tls: false,
          clientCert: false,
        }),
      };
  }
}

async function tail(file: string, lines = 30): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function startComponent(
  name: NodeComponent,
  layout: NodeLayout,
  state: NodeState,
  pki: Pki,
): Promise<RecordedProcess> {
  const spec = componentSpec(name, layout, state, pki);
  const logFile = path.join(layout.logDir, `${name}.log`);
  const proc = startDetached(name, spec.binary, spec.args, logFile);
  state.processes = [...state.processes.filter((p) => p.name !== name), proc];
  // Recorded before waiting, so `down` stops it even if it never becomes ready.
  await writeState(layout, state);
  const deadline = Date.now() + readyTimeoutMs[name];
  while (Date.now() < deadline) {
    if (hasExited(proc.pid)) {
      throw new Error(
        `${name} exited while starting; last lines of ${logFile}:\n${await tail(logFile)}`,
      );
    }
    if (await spec.ready()) return proc;
    await sleep(100);
  }
  throw new Error(
    `${name} was not ready within ${readyTimeoutMs[name] / 1000} s; last lines of ${logFile}:\n${await tail(logFile)}`,
  );
}

interface NodeCondition {
  type: string;
  status: string;
  message?: string;
}

async function nodeConditions(kubeconfig: string, name: string): Promise<NodeCondition[]> {
  const res = await kubectl(kubeconfig, ['get', 'node', name, '-o', 'json']);
  if (res.code !== 0) return [];
  return (
    (JSON.parse(res.stdout) as { status?: { conditions?: NodeCondition[] } }).status?.conditions ??
    []
  );
}

export async function nodeReady(kubeconfig: string, name: string): Promise<boolean> {
  return (await nodeConditions(kubeconfig, name)).some(
    (c) => c.type === 'Ready' && c.status === 'True',
  );
}

async function waitNodeReady(layout: NodeLayout, state: NodeState): Promise<void> {
  const deadline = Date.now() + nodeReadyTimeoutMs;
  let last: NodeCondition[] = [];
  while (Date.now() < deadline) {
    const kubelet = state.processes.find((p) => p.name === 'kubelet');
    if (kubelet && hasExited(kubelet.pid)) break;
    last = await nodeConditions(state.clusterKubeconfig, state.network.nodeName);
    if (last.some((c) => c.type === 'Ready' && c.status === 'True')) return;
    await sleep(250);
  }
  const log = path.join(layout.logDir, 'kubelet.log');
  throw new Error(
    `node ${state.network.nodeName} did not become Ready (${JSON.stringify(last)}); last lines of ${log}:\n${await tail(log)}`,
  );
}

/** Builds the pause binary, wraps it in an image and imports it, unless containerd has it. */
async function ensurePauseImage(layout: NodeLayout): Promise<void> {
  if (await hasImage(layout.containerdSocket, pauseImage)) return;
  const bin = path.join(layout.imagesDir, 'pause');
  const archive = path.join(layout.imagesDir, 'pause.tar');
  await buildStaticGo(pauseSource, bin);
  await writeBinaryImage(pauseImage, bin, 'pause', archive);
  await importImage(layout.containerdSocket, archive);
}

/**
 * Builds a stdlib-only Go program into a one-binary image (`/<name>` as its entrypoint) and
 * imports it into the node's containerd. Pods use it with `imagePullPolicy: Never`.
 */
export async function importGoImage(
  layout: NodeLayout,
  ref: string,
  source: string,
  name: string,
): Promise<void> {
  await mkdir(layout.imagesDir, { recursive: true });
  const bin = path.join(layout.imagesDir, name);
  const archive = path.join(layout.imagesDir, `${name}.tar`);
  await buildStaticGo(source, bin);
  await writeBinaryImage(ref, bin, name, archive);
  await importImage(layout.containerdSocket, archive);
}

/** Which recorded processes are alive, and whether the node is Ready in the API. */
export async function nodeStatus(layout: NodeLayout): Promise<{
  state: NodeState | undefined;
  alive: Record<string, boolean>;
  ready: boolean;
}> {
  const state = await readNodeState(layout);
  if (!state) return { state, alive: {}, ready: false };
  const alive = Object.fromEntries(state.processes.map((p) => [p.name, isOurs(p)]));
  const ready =
    nodeComponents.every((n) => alive[n] === true) &&
    (await nodeReady(state.clusterKubeconfig, state.network.nodeName));
  return { state, alive, ready };
}

/**
 * Another node of ours may hold the machine-wide names (interface, node IP, kube-proxy's
 * table). A live one is left alone and `up` refuses; a crashed one is taken down first.
 */
async function claimHost(layout: NodeLayout, net: NodeNetwork, log: Log): Promise<void> {
  const owner = dummyOwner(net);
  if (owner === undefined || owner === layout.runDir) return;
  const other = owner ? nodeLayout(owner) : undefined;
  const otherStatus = other ? await nodeStatus(other) : undefined;
  if (other && otherStatus?.state) {
    if (Object.values(otherStatus.alive).some(Boolean)) {
      throw new Error(
        `another local node runs from ${owner}; stop it first (hack/node.sh down for the development node)`,
      );
    }
    log(`taking down the crashed node left in ${owner}`);
    await down(other, log);
    return;
  }
  // Its run folder (and so its record) is gone: find what is left by name and remove it.
  log(`removing what is left of a node whose run folder is gone (${owner || '?'})`);
  if (owner) {
    const binaries = [
      ...(['kubelet', 'kube-scheduler', 'kube-proxy', 'kube-router', 'coredns'] as const).map((b) =>
        nodeBinary(b),
      ),
      systemBinaries.containerd,
      systemBinaries.shim,
    ];
    await killAndWait([...orphanPids(owner, binaries), ...cgroupPids(cgroupRoot)]);
    await unmountUnder(owner);
  }
  await removeCgroupRoot(cgroupRoot);
  await removeProxyRules();
  await removePolicyRules();
  await removeLinks(net);
}

/**
 * Starts the node: containerd, kube-scheduler, kubelet, kube-proxy and CoreDNS as host processes
 * against the control plane in `cluster`, and waits until the node is Ready. Idempotent: a
 * running node is left alone; a crashed one is taken down and started afresh.
 */
export async function up(
  layout: NodeLayout,
  cluster: RunLayout,
  log: Log = () => undefined,
): Promise<NodeInfo> {
  requireBinaries();
  const clusterState = await readClusterState(cluster);
  if (!clusterState)
    throw new Error(`no control plane recorded in ${cluster.runDir}: start it first`);
  const current = await nodeStatus(layout);
  if (current.state && current.ready) {
    log(`node ${current.state.network.nodeName} already running (${layout.runDir})`);
    return {
      nodeName: current.state.network.nodeName,
      nodeIp: current.state.network.nodeIp,
      processes: current.state.processes,
      started: false,
    };
  }
  if (current.state) {
    log('cleaning up a node that is not ready');
    await down(layout, log);
  }

  // A unix socket's path has 108 bytes at most; containerd adds `.ttrpc` for its second one.
  if (Buffer.byteLength(`${layout.containerdSocket}.ttrpc`) >= 108) {
    throw new Error(`the run folder's path is too long for containerd's socket: ${layout.runDir}`);
  }
  const net = nodeNetwork;
  await claimHost(layout, net, log);
  await checkAddressesFree(net);
  for (const dir of [
    layout.logDir,
    layout.containerdDir,
    path.dirname(layout.kubeletConfig),
    layout.cniConfDir,
  ]) {
    await mkdir(dir, { recursive: true });
  }
  await mkdir(layout.imagesDir, { recursive: true });
  const state: NodeState = {
    clusterKubeconfig: cluster.kubeconfig,
    network: net,
    ports: {
      kubeletHealthz: await freePort(),
      schedulerSecure: await freePort(),
      proxyHealthz: await freePort(),
      proxyMetrics: await freePort(),
      kubeRouterHealth: await freePort(),
    },
    processes: [],
    sysctls: readSysctls(),
    createdHostPaths: missingHostPaths(),
    apiserverPort: clusterState.ports.apiserver,
  };
  await writeState(layout, state);

  const pki = pkiPaths(cluster.pkiDir);
  const server = `https://127.0.0.1:${clusterState.ports.apiserver}`;
  await ensureDummy(net, layout.runDir);
  await ensureCgroupRoot(cgroupRoot);
  await writeNodeCredentials(pki, layout.pkiDir, server, net.nodeName);
  await writeFile(layout.containerdConfig, containerdConfig(layout));
  await writeFile(path.join(layout.cniConfDir, '10-kcloud.conflist'), cniConfig(layout, net));
  await writeFile(
    layout.kubeletConfig,
    kubeletConfig(layout, net, state.ports, pki.caCert, cgroupRoot),
  );
  await writeFile(layout.proxyConfig, kubeProxyConfig(layout, net, state.ports));
  await writeFile(layout.corefile, corefile(layout, net));
  const rbac = await kubectl(
    cluster.kubeconfig,
    ['apply', '--server-side', '--field-manager=kcloud-node', '-f', '-'],
    nodeRbac,
  );
  if (rbac.code !== 0) {
    throw new Error(`could not apply CoreDNS's and kube-router's RBAC: ${rbac.stderr}`);
  }

  try {
    for (const name of nodeComponents) {
      const started = Date.now();
      const proc = await startComponent(name, layout, state, pki);
      log(`${name} ready in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${proc.pid})`);
      if (name === 'containerd') {
        const t = Date.now();
        await ensurePauseImage(layout);
        log(`pause image ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      }
    }
    const t = Date.now();
    await waitNodeReady(layout, state);
    log(`node ${net.nodeName} Ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const endpoints = await kubectl(
      cluster.kubeconfig,
      ['apply', '--server-side', '--force-conflicts', '--field-manager=kcloud-node', '-f', '-'],
      kubernetesEndpoints(net.nodeIp),
    );
    if (endpoints.code !== 0) {
      throw new Error(`could not publish the kubernetes Service's endpoints: ${endpoints.stderr}`);
    }
  } catch (err) {
    // Stop what started; the rest (and the logs) stay for a look until `down`.
    await stopProcesses(state);
    await writeState(layout, { ...state, processes: [] });
    throw err;
  }
  return { nodeName: net.nodeName, nodeIp: net.nodeIp, processes: state.processes, started: true };
}

async function stopProcesses(state: NodeState, names = nodeComponents): Promise<void> {
  for (const name of [...names].reverse()) {
    for (const proc of state.processes.filter((p) => p.name === name)) await stopProcess(proc);
  }
}

/**
 * Stops the node and removes everything it made: its processes and containers, the shims and
 * network namespaces, mounts, cgroups, kube-proxy's table, the bridge and the dummy interface,
 * the kernel settings it changed, its Node object and its run folder.
 */
export async function down(layout: NodeLayout, log: Log = () => undefined): Promise<void> {
  const state = await readNodeState(layout);
  if (!state) {
    if (existsSync(layout.runDir)) {
      await unmountUnder(layout.runDir);
      await rm(layout.runDir, { recursive: true, force: true });
    }
    log(`no node recorded in ${layout.runDir}`);
    return;
  }
  // The kubelet first, so nothing restarts the containers removed below.
  await stopProcesses(
    state,
    nodeComponents.filter((n) => n !== 'containerd'),
  );
  for (const p of state.processes.filter((p) => p.name !== 'containerd')) {
    log(`stopped ${p.name} (pid ${p.pid})`);
  }

  let sandboxIds: string[] = [];
  if (existsSync(layout.containerdConfig)) {
    let containerd = state.processes.find((p) => p.name === 'containerd' && isOurs(p));
    if (!containerd && existsSync(path.join(layout.containerdDir, 'root'))) {
      // A crashed containerd: start it again just to remove its containers properly.
      log('starting containerd to remove its containers');
      const spec = containerdSpec(layout);
      containerd = startDetached(
        'containerd',
        spec.binary,
        spec.args,
        path.join(layout.logDir, 'containerd.log'),
      );
      state.processes.push(containerd);
      await writeState(layout, state);
      const deadline = Date.now() + readyTimeoutMs.containerd;
      while (!(await spec.ready()) && Date.now() < deadline) await sleep(100);
    }
    if (await containerdServing(layout.containerdSocket)) {
      const removed = await removeAllContainers(layout.containerdSocket);
      sandboxIds = removed.ids;
      log(`removed ${removed.ids.length} containers, ${removed.netns.length} network namespaces`);
    }
  }
  await stopProcesses(state, ['containerd']);
  const leftovers = [...shimPids(layout.containerdSocket), ...cgroupPids(cgroupRoot)];
  if (leftovers.length > 0) {
    log(`killing ${leftovers.length} leftover shim/container processes`);
    await killAndWait(leftovers);
  }
  await writeState(layout, { ...state, processes: [] });

  const unmounted = await unmountUnder(layout.runDir);
  if (unmounted.length > 0) log(`unmounted ${unmounted.length} mounts`);
  const busy = await removeCgroupRoot(cgroupRoot);
  if (busy.length > 0) log(`cgroups still in use, left: ${busy.join(', ')}`);
  const tables = await removeProxyRules();
  if (tables.length > 0) log(`deleted nftables tables: ${tables.join(', ')}`);
  const policy = await removePolicyRules();
  if (policy.length > 0) log(`deleted kube-router's chains and ipsets: ${policy.join(', ')}`);
  const links = await removeLinks(state.network);
  if (links.length > 0) log(`deleted interfaces: ${links.join(', ')}`);
  const restored = await restoreSysctls(state.sysctls);
  if (restored.length > 0) log(`restored ${restored.join(', ')}`);
  await cleanHostPaths(state.network, layout.podLogsDir, sandboxIds, state.createdHostPaths);

  // The Node object goes too (its pods are then garbage-collected); best effort: the control
  // plane may already be down.
  if (existsSync(state.clusterKubeconfig)) {
    const res = await kubectl(state.clusterKubeconfig, [
      'delete',
      'node',
      state.network.nodeName,
      '--ignore-not-found',
      '--request-timeout=5s',
    ]);
    if (res.code === 0 && res.stdout.includes('deleted'))
      log(`deleted node ${state.network.nodeName}`);
    // The address the kubernetes Service pointed at is gone with the node.
    await kubectl(state.clusterKubeconfig, [
      'delete',
      '-n',
      'default',
      'endpoints,endpointslices.discovery.k8s.io',
      'kubernetes',
      '--ignore-not-found',
      '--request-timeout=5s',
    ]);
  }
  await rm(layout.runDir, { recursive: true, force: true });
}
