import { describe, expect, it } from '@jest/globals';
import { componentOrder, componentSpec, type Ports } from './components.ts';
import { auditPolicyFile, runLayout } from './layout.ts';
import { pkiPaths } from './pki.ts';

const layout = runLayout('/run/kc');
const pki = pkiPaths('/run/kc/pki');
const ports: Ports = {
  etcdClient: 2379,
  etcdPeer: 2380,
  apiserver: 6443,
  controllerManager: 10257,
};

function flags(name: (typeof componentOrder)[number], unsafeNoFsync = false): Map<string, string> {
  const spec = componentSpec(name, layout, pki, ports, { unsafeNoFsync });
  return new Map(
    spec.args.map((a) => {
      const [k, ...v] = a.split('=');
      return [k ?? '', v.join('=')];
    }),
  );
}

describe('control-plane component flags', () => {
  it('starts etcd, then the API server, then the controller-manager', () => {
    expect(componentOrder).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager']);
  });

  it('keeps etcd on loopback and fsyncs unless told otherwise', () => {
    const etcd = flags('etcd');
    expect(etcd.get('--listen-client-urls')).toBe('http://127.0.0.1:2379');
    expect(etcd.get('--listen-peer-urls')).toBe('http://127.0.0.1:2380');
    expect(etcd.get('--data-dir')).toBe('/run/kc/etcd');
    expect(etcd.has('--unsafe-no-fsync')).toBe(false);
    expect(flags('etcd', true).has('--unsafe-no-fsync')).toBe(true);
  });

  it('serves the API on loopback with TLS, client certificates and RBAC', () => {
    const api = flags('kube-apiserver');
    expect(api.get('--bind-address')).toBe('127.0.0.1');
    expect(api.get('--secure-port')).toBe('6443');
    expect(api.get('--etcd-servers')).toBe('http://127.0.0.1:2379');
    expect(api.get('--client-ca-file')).toBe(pki.caCert);
    expect(api.get('--tls-cert-file')).toBe(pki.servingCert);
    expect(api.get('--authorization-mode')).toContain('RBAC');
    expect(api.get('--service-account-signing-key-file')).toBe(pki.serviceAccountKey);
    expect(api.get('--requestheader-client-ca-file')).toBe(pki.frontProxyCaCert);
    expect([...api.keys()]).not.toContain('--anonymous-auth=true');
  });

  it("writes the audit log with kcloud's generated policy into the cluster's folder", () => {
    const api = flags('kube-apiserver');
    expect(api.get('--audit-policy-file')).toBe(auditPolicyFile);
    expect(auditPolicyFile).toMatch(/charts\/kcloud\/files\/audit\/policy\.yaml$/);
    expect(api.get('--audit-log-path')).toBe('/run/kc/audit/audit.log');
    expect(api.get('--audit-log-format')).toBe('json');
    expect(api.get('--audit-log-maxbackup')).toBe('10');
  });

  it('runs every default controller, each as its own service account', () => {
    const kcm = flags('kube-controller-manager');
    expect(kcm.get('--controllers')).toBe('*');
    expect(kcm.get('--use-service-account-credentials')).toBe('true');
    expect(kcm.get('--kubeconfig')).toBe(layout.controllerManagerKubeconfig);
    expect(kcm.get('--service-account-private-key-file')).toBe(pki.serviceAccountKey);
  });

  it('probes each component where it serves', () => {
    const probe = (n: (typeof componentOrder)[number]) =>
      componentSpec(n, layout, pki, ports, { unsafeNoFsync: false }).probe.url;
    expect(probe('etcd')).toBe('http://127.0.0.1:2379/health');
    expect(probe('kube-apiserver')).toBe('https://127.0.0.1:6443/readyz');
    expect(probe('kube-controller-manager')).toBe('https://127.0.0.1:10257/healthz');
  });
});
