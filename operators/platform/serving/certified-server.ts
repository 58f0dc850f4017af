// An HTTPS server the API server calls (the quota webhook, the audit API), as the manager runs
// it: its certificate from a Secret (made or renewed there by kcloud, or cert-manager's, read
// as is), the server started with it, and the API server told which CA to trust (a webhook
// configuration's or an APIService's caBundle); then the certificate is looked at again before
// each renewal is due and swapped in place, the new CA trusted before the server presents what
// it signed.
import { realClock } from '../../../controllers/clock/index.ts';
import { secretResource, type KubeObject } from '../../../controllers/kube/index.ts';
import type { Manager } from '../../../controllers/manager/index.ts';
import {
  ensureServingCertificate,
  readIssuedCertificate,
  type CertificatePolicy,
  type ServingCertificate,
} from './serving-certificate.ts';

/** How often the certificate is looked at even when no renewal is due (another replica's). */
const recheckMs = 3600_000;

/**
 * How long a replica keeps trusting the old CA after it swapped to a certificate of a new one:
 * the other replicas, which read the same Secret at the same renewal time, swap within it.
 */
const oldCaGraceMs = 60_000;

export interface CertificateSource {
  /** The names the serving certificate is for (DNS names, IPv4 addresses). */
  certificateNames: readonly string[];
  secret: { namespace: string; name: string };
  /**
   * Who makes the serving certificate: kcloud (default), or cert-manager, whose Secret kcloud
   * only reads (again every minute) and whose CA injector fills in the bundle.
   */
  certificate?: 'kcloud' | 'cert-manager';
  /** How often cert-manager's certificate is read again; a minute by default. */
  issuedRecheckMs?: number;
  policy?: CertificatePolicy;
}

export interface ServedServer {
  port: number;
  setCertificate(cert: { cert: string; key: string }): void;
  close(): Promise<void>;
}

export interface CertifiedServerOptions extends CertificateSource {
  /** For the logs: `quota webhook`, `audit API`. */
  what: string;
  start: (cert: ServingCertificate) => Promise<ServedServer>;
  /** Makes the API server trust `caBundle` (PEM, possibly two CAs) for the server on `port`. */
  trust: (caBundle: string, port: number) => Promise<void>;
  onServing: (port: number) => void;
  onStopped: () => void;
}

/** Retries `step` every 2 s until it succeeds: what it waits for comes from elsewhere. */
export async function untilDone<T>(
  mgr: Manager,
  what: string,
  step: () => Promise<T>,
  signal: AbortSignal,
): Promise<T> {
  for (;;) {
    try {
      return await step();
    } catch (err) {
      mgr.log.info(`${what} waiting`, {
        error: err instanceof Error ? err.message : String(err),
      });
      await realClock.sleep(2000, signal);
    }
  }
}

/** Serves until `signal` aborts; see the top of the file. */
export async function serveCertified(
  mgr: Manager,
  opts: CertifiedServerOptions,
  signal: AbortSignal,
): Promise<void> {
  const secrets = mgr.client<KubeObject>(secretResource);
  const issued = opts.certificate === 'cert-manager';
  const certificate = () =>
    issued
      ? readIssuedCertificate(secrets, opts.secret, new Date(), opts.issuedRecheckMs)
      : ensureServingCertificate(
          secrets,
          opts.secret,
          opts.certificateNames,
          new Date(),
          opts.policy,
        );
  let current = await untilDone(mgr, `${opts.what}: its certificate`, certificate, signal);
  const server = await opts.start(current);
  try {
    const port = server.port;
    // With cert-manager's certificate its CA injector writes the bundle: nothing to write.
    const trust = async (bundle: string) => {
      if (!issued) await opts.trust(bundle, port);
    };
    // What trust writes may be the chart's, made a moment after this replica starts.
    await untilDone(mgr, `${opts.what}: to configure`, () => trust(current.caBundle), signal);
    opts.onServing(port);
    mgr.log.info(`${opts.what} serving`, { port });
    while (!signal.aborted) {
      const wait = Math.max(1000, Math.min(recheckMs, current.renewAt.getTime() - Date.now()));
      try {
        await realClock.sleep(wait, signal);
      } catch {
        break;
      }
      let next: ServingCertificate;
      try {
        next = await certificate();
      } catch (err) {
        // The one being served stays: a Secret unreadable for a moment changes nothing yet.
        mgr.log.error(`${opts.what} certificate not read`, {
          error: err instanceof Error ? err.message : String(err),
        });
        current = { ...current, renewAt: new Date(Date.now() + 10_000) };
        continue;
      }
      if (next.cert !== current.cert || next.caBundle !== current.caBundle) {
        // The API server must trust the new CA before the server presents what it signed.
        await trust(next.caBundle + current.caBundle);
        server.setCertificate(next);
        if (!issued && next.caBundle !== current.caBundle) {
          try {
            await realClock.sleep(oldCaGraceMs, signal);
          } catch {
            break;
          }
        }
        await trust(next.caBundle);
        mgr.log.info(`${opts.what} certificate renewed`, { renewAt: next.renewAt.toISOString() });
      }
      current = next;
    }
  } finally {
    opts.onStopped();
    await server.close();
  }
}
