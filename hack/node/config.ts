import path from 'node:path';
import { stringify } from 'yaml';
import { pauseImage, systemBinaries, type NodeLayout, type NodeNetwork } from './layout.ts';

/** Loopback ports the node's components answer health checks on, chosen free at `up`. */
export interface NodePorts {
  kubeletHealthz: number;
  schedulerSecure: number;
  proxyHealthz: number;
  proxyMetrics: number;
  /** kube-router's health endpoint (it listens on every address: the port alone is chosen). */
  kubeRouterHealth: number;
}

/** CoreDNS's readiness endpoint; it serves on the node IP, which nothing else uses. */
export const corednsReadyPort = 8181;

export function containerdConfig(layout: NodeLayout): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  const dir = layout.containerdDir;
  return `# containerd for the local node: root, state and socket under the node's run folder.
version = 2
root = "${path.join(dir, 'root')}"
state = "${path.join(dir, 'state')}"
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
]

[grpc]
  address = "${layout.containerdSocket}"

[plugins."io.containerd.internal.v1.opt"]
  path = "${path.join(dir, 'opt')}"

[${cri}]
  sandbox_image = "${pauseImage}"
  # The machine lacks CAP_SYS_RESOURCE, so nothing here may lower an oom_score_adj; the kubelet
  # asks for negative scores (-998 for sandboxes, -997 for Guaranteed pods), which runc would
  # fail to write. This clamps every requested score to no less than containerd's own.
  restrict_oom_score_adj = true
  # Sandboxes' network namespaces under the run folder rather than /run/netns.
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [${cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [${cri}.containerd.runtimes.runc.options]
        BinaryName = "${systemBinaries.runc}"
        Root = "${path.join(dir, 'runc')}"
        SystemdCgroup = false
  [${cri}.cni]
    bin_dir = "${systemBinaries.cniDir}"
    conf_dir = "${layout.cniConfDir}"
    max_conf_num = 1
`;
}

/**
 * A bridge with host-local addresses. No default route and no masquerading: pods reach other
 * pods, Services and the node IP, and have no way off the machine.
 */
export function cniConfig(layout: NodeLayout, net: NodeNetwork): string {
  return (
    JSON.stringify(
      {
        cniVersion: '1.0.0',
        name: net.cniNetwork,
        plugins: [
          {
            type: 'bridge',
            bridge: net.bridge,
            isGateway: true,
            isDefaultGateway: false,
            ipMasq: false,
            // A pod reaching itself through its own Service leaves and re-enters on one port.
            hairpinMode: true,
            ipam: {
              type: 'host-local',
              dataDir: layout.cniIpamDir,
              ranges: [[{ subnet: net.podCidr, gateway: net.podGateway }]],
              routes: [{ dst: net.serviceCidr }, { dst: `${net.nodeIp}/32` }],
            },
          },
        ],
      },
      null,
      2,
    ) + '\n'
  );
}

export function kubeletConfig(
  layout: NodeLayout,
  net: NodeNetwork,
  ports: NodePorts,
  caCert: string,
  cgroupRoot: string,
): string {
  const config = {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // This machine runs cgroup v1, which current kubelets refuse unless told otherwise.
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    // Pods' cgroups under one subtree of the node's own, which `down` sweeps.
    cgroupRoot: `/${cgroupRoot}`,
    containerRuntimeEndpoint: `unix://${layout.containerdSocket}`,
    address: net.nodeIp,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: ports.kubeletHealthz,
    authentication: {
      anonymous: { enabled: false },
      webhook: { enabled: true },
      x509: { clientCAFile: caCert },
    },
    authorization: { mode: 'Webhook' },
    clusterDNS: [net.nodeIp],
    clusterDomain: net.clusterDomain,
    // No host resolver for pods: names outside the cluster have nowhere to go from here.
    resolvConf: '',
    podLogsDir: layout.podLogsDir,
    volumePluginDir: path.join(layout.kubeletDir, 'volume-plugins'),
    // kube-proxy (nftables) owns the packet rules; the kubelet adds none to the host's tables.
    makeIPTablesUtilChains: false,
    // Images are imported, not pulled: garbage-collecting one would lose it for good.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    // Thresholds for a shared development disk, where the defaults would evict at 10% free.
    evictionHard: {
      'memory.available': '100Mi',
      'nodefs.available': '1%',
      'imagefs.available': '1%',
      'nodefs.inodesFree': '1%',
    },
    serializeImagePulls: false,
    registerNode: true,
  };
  return stringify(config);
}

export function kubeProxyConfig(layout: NodeLayout, net: NodeNetwork, ports: NodePorts): string {
  const config = {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    // One table of its own (`ip kube-proxy`), which `down` deletes whole.
    mode: 'nftables',
    clientConnection: { kubeconfig: layout.proxyKubeconfig },
    hostnameOverride: net.nodeName,
    healthzBindAddress: `127.0.0.1:${ports.proxyHealthz}`,
    metricsBindAddress: `127.0.0.1:${ports.proxyMetrics}`,
    clusterCIDR: net.podCidr,
    nodePortAddresses: [`${net.nodeIp}/32`],
    nftables: {
      // Client and backend pods share one bridge: without br_netfilter (a machine-wide setting
      // left as it is) the backend's reply would be bridged straight to the client, past the
      // DNAT it must undo. Masquerading all Service traffic brings every reply back through the
      // host, whatever that setting is.
      masqueradeAll: true,
    },
    // Leave the machine's conntrack limits and timeouts as they are.
    conntrack: {
      maxPerCore: 0,
      min: 0,
      tcpEstablishedTimeout: '0s',
      tcpCloseWaitTimeout: '0s',
    },
    // Lowering its own score needs CAP_SYS_RESOURCE, which this machine lacks.
    oomScoreAdj: 0,
  };
  return stringify(config);
}

/** CoreDNS answers the cluster's zones only, on the node IP; other names are refused. */
export function corefile(layout: NodeLayout, net: NodeNetwork): string {
  const zones = `${net.clusterDomain} in-addr.arpa ip6.arpa`;
  return `${zones} {
    bind ${net.nodeIp}
    errors
    ready ${net.nodeIp}:${corednsReadyPort}
    kubernetes ${zones} {
        kubeconfig ${layout.corednsKubeconfig}
        pods insecure
    }
    cache 5
}
`;
}
