import path from 'node:path';
import { binDir, repoRoot } from '../cluster/layout.ts';

export type NodeBinary =
  'kubelet' | 'kube-scheduler' | 'kube-proxy' | 'coredns' | 'kube-router' | 'helm';

/** Built by `make setup` (hack/localcluster/build-node.sh). */
export function nodeBinary(name: NodeBinary): string {
  return path.join(binDir(), name);
}

/** From Debian's containerd, runc, containernetworking-plugins, iptables and ipset packages. */
export const systemBinaries = {
  containerd: '/usr/bin/containerd',
  ctr: '/usr/bin/ctr',
  shim: '/usr/bin/containerd-shim-runc-v2',
  runc: '/usr/sbin/runc',
  nft: '/usr/sbin/nft',
  // kube-router's network policy controller drives these (Debian's iptables and ipset).
  iptablesSave: '/usr/sbin/iptables-save',
  iptablesRestore: '/usr/sbin/iptables-restore',
  ipset: '/usr/sbin/ipset',
  cniDir: '/usr/lib/cni',
} as const;

/**
 * The node's addresses. All of them live on this machine: the node IP on a dummy interface,
 * pods on a bridge, Services only in kube-proxy's rules. Nothing is routed off the machine.
 */
export interface NodeNetwork {
  nodeName: string;
  /** On the dummy interface: kubelet refuses a loopback node IP. */
  nodeIp: string;
  dummyInterface: string;
  bridge: string;
  podCidr: string;
  podGateway: string;
  /** The API server's --service-cluster-ip-range (hack/cluster/components.ts). */
  serviceCidr: string;
  clusterDomain: string;
  cniNetwork: string;
}

/**
 * 10.254.0.0/24 and 10.244.0.0/24 are private ranges nothing else on the machine uses; `up`
 * checks the routing table before it claims them.
 */
export const nodeNetwork: NodeNetwork = {
  nodeName: 'kcloud-node',
  nodeIp: '10.254.0.1',
  dummyInterface: 'kcloud-node0',
  bridge: 'kcloud-br0',
  podCidr: '10.244.0.0/24',
  podGateway: '10.244.0.1',
  serviceCidr: '10.96.0.0/16',
  clusterDomain: 'cluster.local',
  cniNetwork: 'kcloud-node',
};

/** The kubelet's cgroup root, below every cgroup v1 hierarchy: one subtree to sweep on `down`. */
export const cgroupRoot = 'kcloud-node';

/** Everything one node owns lives under its run folder, apart from what the kernel keeps. */
export interface NodeLayout {
  runDir: string;
  logDir: string;
  stateFile: string;
  pkiDir: string;
  containerdDir: string;
  containerdConfig: string;
  containerdSocket: string;
  cniConfDir: string;
  cniIpamDir: string;
  kubeletDir: string;
  kubeletConfig: string;
  kubeletKubeconfig: string;
  podLogsDir: string;
  schedulerKubeconfig: string;
  proxyConfig: string;
  proxyKubeconfig: string;
  kubeRouterKubeconfig: string;
  corefile: string;
  corednsKubeconfig: string;
  imagesDir: string;
}

export function nodeLayout(runDir: string): NodeLayout {
  const p = (...parts: string[]) => path.join(runDir, ...parts);
  return {
    runDir,
    logDir: p('logs'),
    stateFile: p('state.json'),
    pkiDir: p('pki'),
    containerdDir: p('containerd'),
    containerdConfig: p('containerd', 'config.toml'),
    containerdSocket: p('containerd', 'containerd.sock'),
    cniConfDir: p('cni', 'net.d'),
    cniIpamDir: p('cni', 'ipam'),
    kubeletDir: p('kubelet'),
    kubeletConfig: p('config', 'kubelet.yaml'),
    kubeletKubeconfig: p('pki', 'kubelet.kubeconfig'),
    podLogsDir: p('pod-logs'),
    schedulerKubeconfig: p('pki', 'kube-scheduler.kubeconfig'),
    proxyConfig: p('config', 'kube-proxy.yaml'),
    proxyKubeconfig: p('pki', 'kube-proxy.kubeconfig'),
    kubeRouterKubeconfig: p('pki', 'kube-router.kubeconfig'),
    corefile: p('config', 'Corefile'),
    corednsKubeconfig: p('pki', 'coredns.kubeconfig'),
    imagesDir: p('images'),
  };
}

/** The node `make cluster-node` adds to the control plane of `make up`. */
export function devNodeLayout(): NodeLayout {
  return nodeLayout(path.join(repoRoot, '.local', 'cluster-node'));
}

/** The sandbox image every pod's pause container runs; built and imported by `up`. */
export const pauseImage = 'kcloud.local/pause:1';
export const pauseSource = path.join(repoRoot, 'hack', 'node', 'images', 'pause', 'main.go');
