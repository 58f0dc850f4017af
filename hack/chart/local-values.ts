import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The chart's values for the local cluster (one node on this machine, images imported, no
 * registry): what differs from a real cluster, and why.
 */
export function localClusterValues(opts: {
  /** Where host paths go: the node's run folder, so the node's `down` removes them. */
  hostRoot: string;
  tag: string;
  /** Watch only this namespace (a test that shares the control plane with others). */
  watchNamespace?: string;
}): Record<string, unknown> {
  const host = (name: string) => path.join(opts.hostRoot, name);
  return {
    image: { registry: 'kcloud.local', tag: opts.tag, pullPolicy: 'Never' },
    manager: {
      // A manager of one namespace runs the operators whose kinds are all namespaced.
      ...(opts.watchNamespace ? { watchNamespace: opts.watchNamespace, operators: 'vpc' } : {}),
      // Quicker hand-over than production's 15 s lease: one machine, no network partitions.
      leaderElection: { leaseDuration: '6s', renewDeadline: '4s', retryPeriod: '1s' },
      // The local node has 2 cores shared with the control plane: ask for little.
      resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '1Gi' } },
    },
    agent: {
      // /dev/kvm may exist and still not run guests (nested): the agent's probe boot decides.
      kvm: existsSync('/dev/kvm'),
      // This machine's / is a private mount, which HostToContainer propagation refuses.
      storagePoolsPropagation: 'None',
      resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '512Mi' } },
    },
    ovn: {
      central: {
        resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '1Gi' } },
      },
      host: {
        // No openvswitch kernel module here, and the machine's own network namespace is
        // shared with other tests: userspace datapath, devices in the pod's namespace.
        datapath: 'netdev',
        hostNetwork: false,
        resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '1Gi' } },
      },
    },
    hostPaths: {
      ovsRun: host('run/openvswitch'),
      ovnRun: host('run/ovn'),
      ovsData: host('lib/openvswitch'),
      ovnCentral: host('lib/ovn-central'),
      // Where `make demo`'s host root has them (hack/demo/host-root.ts), so the EVS samples'
      // paths are the same under either root.
      storagePools: host('pools'),
      imageImport: host('images'),
      agentState: host('lib/agent'),
    },
  };
}
