// Who may call the audit API: only the API server's aggregation layer, which authenticates the
// user and checks RBAC before it proxies a request, and then presents its front-proxy client
// certificate with the user in headers. Kubernetes publishes that CA, the certificate names it
// allows and the header names in the ConfigMap kube-system/extension-apiserver-authentication
// (as for every extension API server); a request without such a certificate is refused, so no
// one reaches the view past RBAC by calling kcloud directly.
import type { IncomingHttpHeaders } from 'node:http';
import type { KubeObject, ObjectClient } from '../../../../controllers/kube/index.ts';

export const frontProxyConfigMap = {
  namespace: 'kube-system',
  name: 'extension-apiserver-authentication',
};

export interface FrontProxy {
  /** PEM: the CA that signs the aggregation layer's client certificate. */
  ca: string;
  /** The common names a client certificate may have; empty: any the CA signed. */
  allowedNames: string[];
  userHeaders: string[];
  groupHeaders: string[];
}

function list(data: Record<string, string>, key: string, fallback: string[]): string[] {
  const raw = data[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((x): x is string => typeof x === 'string')) {
    throw new Error(`${key}: expected a JSON list of strings, got ${raw}`);
  }
  return parsed;
}

export function parseFrontProxy(data: Record<string, string> | undefined): FrontProxy {
  const ca = data?.['requestheader-client-ca-file'] ?? '';
  if (ca.trim() === '') {
    throw new Error(
      `${frontProxyConfigMap.namespace}/${frontProxyConfigMap.name} has no requestheader-client-ca-file: the API server runs without the aggregation layer (--requestheader-client-ca-file)`,
    );
  }
  const d = data ?? {};
  return {
    ca,
    allowedNames: list(d, 'requestheader-allowed-names', []),
    userHeaders: list(d, 'requestheader-username-headers', ['X-Remote-User']),
    groupHeaders: list(d, 'requestheader-group-headers', ['X-Remote-Group']),
  };
}

export async function readFrontProxy(configMaps: ObjectClient<KubeObject>): Promise<FrontProxy> {
  const cm = (await configMaps.get(frontProxyConfigMap.namespace, frontProxyConfigMap.name)) as {
    data?: Record<string, string>;
  };
  return parseFrontProxy(cm.data);
}

export type Requester = { user: string; groups: string[] } | { refused: string };

/** What is read of the connection (a TLSSocket). */
export interface ClientSocket {
  authorized: boolean;
  authorizationError?: Error | null;
  /** `{}` when the client sent no certificate. */
  getPeerCertificate(): { subject?: { CN?: string | string[] } };
}

/**
 * The user the API server proxied the request for, when the connection carries a client
 * certificate of the front-proxy CA with an allowed name; else why not. The TLS server asked
 * for the certificate against `FrontProxy.ca`, so `authorized` says the CA signed it.
 */
export function requester(
  socket: ClientSocket,
  headers: IncomingHttpHeaders,
  fp: FrontProxy,
): Requester {
  const cert = socket.getPeerCertificate();
  if (Object.keys(cert).length === 0) {
    return { refused: 'no client certificate: only the API server may call the audit API' };
  }
  if (!socket.authorized) {
    return {
      refused: `client certificate not signed by the front-proxy CA (${String(socket.authorizationError)})`,
    };
  }
  const subjectCn = cert.subject?.CN;
  const cn = Array.isArray(subjectCn) ? subjectCn[0] : subjectCn;
  if (fp.allowedNames.length > 0 && !fp.allowedNames.includes(cn ?? '')) {
    return { refused: `client certificate ${cn ?? '(no CN)'} is not an allowed front proxy` };
  }
  const header = (names: string[]) =>
    names.flatMap((n) => {
      const v = headers[n.toLowerCase()];
      return v === undefined ? [] : Array.isArray(v) ? v : [v];
    });
  const user = header(fp.userHeaders)[0];
  if (user === undefined || user === '') return { refused: 'no user in the proxied request' };
  return { user, groups: header(fp.groupHeaders) };
}
