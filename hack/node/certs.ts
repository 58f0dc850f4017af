import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeKubeconfig } from '../cluster/kubeconfig.ts';
import { signClientCert, type Pki } from '../cluster/pki.ts';

/** A client identity of the node's components, as the API server's RBAC and Node authorizer know it. */
export interface Identity {
  file: string;
  user: string;
  groups: string[];
}

/**
 * The node's identities. The kubelet is `system:node:<name>` in `system:nodes`, which the Node
 * authorizer recognizes; the scheduler and kube-proxy use the users the default RBAC policy
 * binds; CoreDNS and kube-router get ClusterRoles of their own (`nodeRbac`).
 */
export function identities(nodeName: string): Identity[] {
  return [
    { file: 'kubelet', user: `system:node:${nodeName}`, groups: ['system:nodes'] },
    { file: 'kube-scheduler', user: 'system:kube-scheduler', groups: [] },
    { file: 'kube-proxy', user: 'system:kube-proxy', groups: [] },
    { file: 'coredns', user: 'system:coredns', groups: [] },
    { file: 'kube-router', user: 'system:kube-router', groups: [] },
  ];
}

/** Certificates and kubeconfigs for every identity, pointed at the API server's current address. */
export async function writeNodeCredentials(
  clusterPki: Pki,
  dir: string,
  server: string,
  nodeName: string,
): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const id of identities(nodeName)) {
    // Kept once made: kubeconfigs are rewritten with the API server's address, identities stay.
    if (
      !existsSync(path.join(dir, `${id.file}.crt`)) ||
      !existsSync(path.join(dir, `${id.file}.key`))
    ) {
      await signClientCert(clusterPki, dir, id.file, id.user, id.groups);
    }
    await writeKubeconfig(path.join(dir, `${id.file}.kubeconfig`), server, clusterPki, {
      name: id.user,
      cert: path.join(dir, `${id.file}.crt`),
      key: path.join(dir, `${id.file}.key`),
    });
  }
}

/**
 * What CoreDNS's kubernetes plugin reads, what kube-router's informers read (it starts them all,
 * though only its network policy controller runs), and nothing more.
 */
export const nodeRbac = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:coredns
rules:
  - apiGroups: ['']
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:coredns
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:coredns
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: User
    name: system:coredns
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: kcloud:kube-router
rules:
  - apiGroups: ['']
    resources: [pods, namespaces, nodes, services, endpoints]
    verbs: [get, list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [get, list, watch]
  - apiGroups: [networking.k8s.io]
    resources: [networkpolicies]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: kcloud:kube-router
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: kcloud:kube-router
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: User
    name: system:kube-router
---
# The kubelet asks the API server whether a caller may use its API (logs, exec); the API
# server itself calls as kube-apiserver-kubelet-client (hack/cluster/pki.ts).
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: kcloud:kube-apiserver-kubelet-client
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:kubelet-api-admin
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: User
    name: kube-apiserver-kubelet-client
`;
