import path from 'node:path';
import { auditPolicyFile, binary, type ControlPlaneBinary, type RunLayout } from './layout.ts';
import type { Pki } from './pki.ts';

export interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
}

export interface ComponentOptions {
  /** Skip etcd's fsync: fine for throwaway test clusters, never for data one wants to keep. */
  unsafeNoFsync: boolean;
}

export type ComponentName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager';

/** Start order; stop in reverse. */
export const componentOrder: ComponentName[] = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
];

export interface ComponentSpec {
  name: ComponentName;
  binary: string;
  args: string[];
  /** How to tell it is serving. */
  probe: { url: string; tls: boolean; clientCert: boolean };
}

export const serviceAccountIssuer = 'https://kubernetes.default.svc.cluster.local';

export function componentSpec(
  name: ComponentName,
  layout: RunLayout,
  pki: Pki,
  ports: Ports,
  options: ComponentOptions,
): ComponentSpec {
  const bin = (b: ControlPlaneBinary) => binary(b);
  const etcdUrl = `http://127.0.0.1:${ports.etcdClient}`;
  switch (name) {
    case 'etcd': {
      const peer = `http://127.0.0.1:${ports.etcdPeer}`;
      return {
        name,
        binary: bin('etcd'),
        args: [
          '--name=kcloud',
          `--data-dir=${layout.etcdDataDir}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peer}`,
          `--initial-advertise-peer-urls=${peer}`,
          `--initial-cluster=kcloud=${peer}`,
          '--log-level=warn',
          // 8 GiB: room for 30,000-object benchmarks without hitting the default 2 GiB quota.
          '--quota-backend-bytes=8589934592',
          ...(options.unsafeNoFsync ? ['--unsafe-no-fsync'] : []),
        ],
        probe: { url: `${etcdUrl}/health`, tls: false, clientCert: false },
      };
    }
    case 'kube-apiserver':
      return {
        name,
        binary: bin('kube-apiserver'),
        args: [
          `--etcd-servers=${etcdUrl}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          // The `kubernetes` Service may not point at loopback, and nothing in the local
          // cluster reaches the API server through it yet; a real node address replaces this.
          '--endpoint-reconciler-type=none',
          `--secure-port=${ports.apiserver}`,
          `--tls-cert-file=${pki.servingCert}`,
          `--tls-private-key-file=${pki.servingKey}`,
          `--client-ca-file=${pki.caCert}`,
          '--authorization-mode=Node,RBAC',
          `--service-account-issuer=${serviceAccountIssuer}`,
          `--api-audiences=${serviceAccountIssuer}`,
          `--service-account-key-file=${pki.serviceAccountPub}`,
          `--service-account-signing-key-file=${pki.serviceAccountKey}`,
          '--service-cluster-ip-range=10.96.0.0/16',
          '--allow-privileged=true',
          // The aggregation layer's identity, so extension API servers and the
          // controller-manager can trust requests the API server proxies to them.
          `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
          '--requestheader-allowed-names=front-proxy-client',
          '--requestheader-username-headers=X-Remote-User',
          '--requestheader-group-headers=X-Remote-Group',
          '--requestheader-extra-headers-prefix=X-Remote-Extra-',
          `--proxy-client-cert-file=${pki.frontProxyClientCert}`,
          `--proxy-client-key-file=${pki.frontProxyClientKey}`,
          // For kubectl logs/exec/port-forward through a node's kubelet.
          `--kubelet-client-certificate=${pki.kubeletClientCert}`,
          `--kubelet-client-key=${pki.kubeletClientKey}`,
          '--kubelet-preferred-address-types=InternalIP',
          `--cert-dir=${path.join(layout.pkiDir, 'apiserver-generated')}`,
          '--profiling=false',
          // Who changed what in the cloud, and who read which Secret (docs/audit.md): JSON
          // lines, rotated at 100 MB with 10 backups kept, appended to across restarts.
          `--audit-policy-file=${auditPolicyFile}`,
          `--audit-log-path=${path.join(layout.auditDir, 'audit.log')}`,
          '--audit-log-format=json',
          '--audit-log-maxsize=100',
          '--audit-log-maxbackup=10',
        ],
        probe: { url: `https://127.0.0.1:${ports.apiserver}/readyz`, tls: true, clientCert: true },
      };
    case 'kube-controller-manager':
      return {
        name,
        binary: bin('kube-controller-manager'),
        args: [
          `--kubeconfig=${layout.controllerManagerKubeconfig}`,
          `--authentication-kubeconfig=${layout.controllerManagerKubeconfig}`,
          `--authorization-kubeconfig=${layout.controllerManagerKubeconfig}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${ports.controllerManager}`,
          `--cert-dir=${path.join(layout.pkiDir, 'controller-manager-generated')}`,
          // One instance per local cluster: leader election would only add Lease writes.
          '--leader-elect=false',
          // Each controller acts as its own service account, as in a production cluster.
          '--use-service-account-credentials=true',
          `--service-account-private-key-file=${pki.serviceAccountKey}`,
          `--root-ca-file=${pki.caCert}`,
          `--cluster-signing-cert-file=${pki.caCert}`,
          `--cluster-signing-key-file=${pki.caKey}`,
          // All default controllers: garbage collector, namespace, service-account(-token), ...
          '--controllers=*',
          '--profiling=false',
        ],
        probe: {
          url: `https://127.0.0.1:${ports.controllerManager}/healthz`,
          tls: true,
          clientCert: false,
        },
      };
  }
}
