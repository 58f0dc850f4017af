import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toolOutput } from './run-tool.ts';

/**
 * The certificates and keys of one local cluster. Real TLS end to end: the kubeconfig trusts the
 * CA that signed the serving certificate, clients authenticate with certificates, and service
 * account tokens are signed with a key pair of their own.
 */
export interface Pki {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  controllerManagerCert: string;
  controllerManagerKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
  /** A CA of its own for the aggregation layer, so no ordinary client cert can pose as it. */
  frontProxyCaCert: string;
  frontProxyCaKey: string;
  frontProxyClientCert: string;
  frontProxyClientKey: string;
  /** The API server's identity towards kubelets (logs, exec, port-forward). */
  kubeletClientCert: string;
  kubeletClientKey: string;
}

export function pkiPaths(dir: string): Pki {
  const p = (f: string) => path.join(dir, f);
  return {
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    servingCert: p('apiserver.crt'),
    servingKey: p('apiserver.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    controllerManagerCert: p('controller-manager.crt'),
    controllerManagerKey: p('controller-manager.key'),
    serviceAccountKey: p('sa.key'),
    serviceAccountPub: p('sa.pub'),
    frontProxyCaCert: p('front-proxy-ca.crt'),
    frontProxyCaKey: p('front-proxy-ca.key'),
    frontProxyClientCert: p('front-proxy-client.crt'),
    frontProxyClientKey: p('front-proxy-client.key'),
    kubeletClientCert: p('apiserver-kubelet-client.crt'),
    kubeletClientKey: p('apiserver-kubelet-client.key'),
  };
}

// The names the serving certificate answers to: loopback for us, the in-cluster names for pods.
const servingNames = [
  'IP:127.0.0.1',
  'IP:10.96.0.1',
  'DNS:localhost',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
];

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const validityDays = '3650';

async function openssl(args: string[]): Promise<void> {
  await toolOutput('openssl', args, {
    label: `openssl ${args[0] ?? ''}`,
    missingHint: 'run `make setup`',
  });
}

/** A self-signed CA certificate and its key, P-256, valid for ten years. */
export async function selfSignedCa(key: string, cert: string, cn: string): Promise<void> {
  await openssl([
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    validityDays,
    '-subj',
    `/CN=${cn}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
}

/** `<dir>/<name>.key` and `.crt`: a new P-256 key and its certificate, signed by `ca`. */
export async function signedCert(
  ca: { cert: string; key: string },
  dir: string,
  name: string,
  subject: string,
  extensions: string,
): Promise<void> {
  const key = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  await openssl(['req', '-new', ...ecKey, '-keyout', key, '-out', csr, '-subj', subject]);
  await writeFile(ext, extensions);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-days',
    validityDays,
    '-out',
    path.join(dir, `${name}.crt`),
    '-extfile',
    ext,
  ]);
}

export const clientExtensions = 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';

/** A server certificate's extensions: its names (`IP:…`, `DNS:…`), for server use only. */
export function serverExtensions(names: readonly string[]): string {
  return `subjectAltName=${names.join(',')}\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`;
}

/**
 * A client certificate and key, `<dir>/<name>.crt` and `.key`, for `user` in `groups`, signed
 * by the cluster's CA: the identity the API server's authenticators see.
 */
export async function signClientCert(
  pki: Pki,
  dir: string,
  name: string,
  user: string,
  groups: readonly string[] = [],
): Promise<void> {
  const subject = [...groups.map((g) => `/O=${g}`), `/CN=${user}`].join('');
  await signedCert({ cert: pki.caCert, key: pki.caKey }, dir, name, subject, clientExtensions);
}

/** Creates the PKI once; an existing one is kept so kubeconfigs stay valid across restarts. */
/** The user the API server is to kubelets; bound to system:kubelet-api-admin by the node. */
export const kubeletClientUser = 'kube-apiserver-kubelet-client';

export async function ensurePki(dir: string): Promise<Pki> {
  const pki = pkiPaths(dir);
  if ((Object.values(pki) as string[]).every((f) => existsSync(f))) return pki;
  if (existsSync(pki.caKey) && existsSync(pki.serviceAccountKey)) {
    // A PKI from before this certificate existed: add it, keep the rest (and the tokens and
    // kubeconfigs it signed).
    await signClientCert(pki, dir, 'apiserver-kubelet-client', kubeletClientUser);
    return pki;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await selfSignedCa(pki.caKey, pki.caCert, 'kcloud-local-ca');
  const ca = { cert: pki.caCert, key: pki.caKey };
  await signedCert(ca, dir, 'apiserver', '/CN=kube-apiserver', serverExtensions(servingNames));
  // system:masters is the bootstrap admin group, as kubeadm's admin.conf uses.
  await signClientCert(pki, dir, 'admin', 'kcloud-admin', ['system:masters']);
  await signClientCert(pki, dir, 'controller-manager', 'system:kube-controller-manager');
  await selfSignedCa(pki.frontProxyCaKey, pki.frontProxyCaCert, 'kcloud-front-proxy-ca');
  await signedCert(
    { cert: pki.frontProxyCaCert, key: pki.frontProxyCaKey },
    dir,
    'front-proxy-client',
    '/CN=front-proxy-client',
    clientExtensions,
  );
  await openssl([
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-out',
    pki.serviceAccountKey,
  ]);
  await openssl(['pkey', '-in', pki.serviceAccountKey, '-pubout', '-out', pki.serviceAccountPub]);
  await signClientCert(pki, dir, 'apiserver-kubelet-client', kubeletClientUser);
  return pki;
}

export async function readBase64(file: string): Promise<string> {
  return (await readFile(file)).toString('base64');
}
