import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { Pki } from './pki.ts';

export interface ProbeTarget {
  url: string;
  tls: boolean;
  clientCert: boolean;
}

/**
 * One GET; resolves with the status code and body, or rejects on a connection error.
 * TLS probes of the API server verify it against our CA. The controller-manager serves a
 * self-signed certificate of its own that nothing else needs to trust, so its health probe
 * alone does not verify (it only reads /healthz, which carries no data).
 */
export function get(
  target: ProbeTarget,
  pki: Pki,
  timeoutMs = 2_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    };
    const req = target.tls
      ? https.get(
          target.url,
          {
            timeout: timeoutMs,
            ...(target.clientCert
              ? {
                  ca: readFileSync(pki.caCert),
                  cert: readFileSync(pki.adminCert),
                  key: readFileSync(pki.adminKey),
                }
              : { rejectUnauthorized: false }),
          },
          onResponse,
        )
      : http.get(target.url, { timeout: timeoutMs }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export async function isHealthy(target: ProbeTarget, pki: Pki): Promise<boolean> {
  try {
    return (await get(target, pki)).status === 200;
  } catch {
    return false;
  }
}
