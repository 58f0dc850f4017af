// The audit API as the manager runs it: the server with its rotating certificate
// (serving/certified-server.ts), the front-proxy CA read again every few minutes (the API
// server's may be replaced), and the APIService with the CA bundle.
import { realClock } from '../../../../controllers/clock/index.ts';
import { configMapResource, type KubeObject } from '../../../../controllers/kube/index.ts';
import type { Manager, Runnable } from '../../../../controllers/manager/index.ts';
import {
  serveCertified,
  untilDone,
  type CertificateSource,
} from '../../serving/certified-server.ts';
import { readAuditView } from '../audit-view.ts';
import { applyApiService, apiServiceResource, type ServiceRef } from './api-service.ts';
import { readFrontProxy } from './front-proxy.ts';
import { startAuditApiServer, type AuditApiServer } from './server.ts';

const frontProxyRecheckMs = 300_000;

export interface AuditApiOptions extends CertificateSource {
  /** The API server's audit log (the current file; its rotated backups beside it). */
  logPath: string;
  /** Where the server listens; port 0 takes a free one. */
  listen: { host: string; port: number };
  /** The Service the APIService names; the certificate is for its DNS names. */
  service: ServiceRef;
  /** false: the chart made the APIService and kcloud writes only its CA bundle. */
  manageApiService?: boolean;
  /** Told the port once the server listens (tests). */
  onListening?: (port: number) => void;
}

export class AuditApi implements Runnable {
  readonly name = 'audit-api';
  // Every replica serves behind the Service, as the quota webhook does.
  readonly needLeaderElection = false;
  private serving = false;
  private readonly mgr: Manager;
  private readonly opts: AuditApiOptions;

  constructor(mgr: Manager, opts: AuditApiOptions) {
    this.mgr = mgr;
    this.opts = opts;
  }

  isReady(): boolean {
    return this.serving;
  }

  async run(signal: AbortSignal): Promise<void> {
    const configMaps = this.mgr.client<KubeObject>(configMapResource);
    const apiServices = this.mgr.client<KubeObject>(apiServiceResource);
    const log = this.mgr.log.child({ component: 'audit-api' });
    let frontProxy = await untilDone(
      this.mgr,
      'audit API: the front-proxy CA',
      () => readFrontProxy(configMaps),
      signal,
    );
    let server: AuditApiServer | undefined;
    // Ends with the server, whichever way serving ends.
    const done = new AbortController();
    const stop = () => {
      done.abort();
    };
    signal.addEventListener('abort', stop, { once: true });
    const recheck = (async () => {
      while (!done.signal.aborted) {
        try {
          await realClock.sleep(frontProxyRecheckMs, done.signal);
        } catch {
          return;
        }
        try {
          const next = await readFrontProxy(configMaps);
          if (JSON.stringify(next) !== JSON.stringify(frontProxy)) {
            frontProxy = next;
            server?.setFrontProxy(next);
            log.info('audit API front-proxy CA replaced');
          }
        } catch (err) {
          log.error('front-proxy CA not read', {
            error: err instanceof Error ? err.message : String(err),
          });
        }
      }
    })();
    try {
      await serveCertified(
        this.mgr,
        {
          ...this.opts,
          what: 'audit API',
          start: async (cert) => {
            server = await startAuditApiServer({
              ...this.opts.listen,
              cert: cert.cert,
              key: cert.key,
              frontProxy,
              read: (filter) => readAuditView(this.opts.logPath, filter),
              log,
            });
            this.opts.onListening?.(server.port);
            return server;
          },
          trust: (bundle) =>
            applyApiService(
              apiServices,
              this.opts.service,
              bundle,
              this.opts.manageApiService !== false,
            ),
          onServing: () => {
            this.serving = true;
          },
          onStopped: () => {
            this.serving = false;
          },
        },
        signal,
      );
    } finally {
      signal.removeEventListener('abort', stop);
      done.abort();
      await recheck;
    }
  }
}
