// The quota webhook as the manager runs it: its certificate from the Secret (made or renewed
// there), the HTTPS server, and the ValidatingWebhookConfiguration with the CA bundle; then it
// checks the certificate again before each renewal is due and swaps it in place.
import { realClock } from '../../../controllers/clock/index.ts';
import type { KubeObject } from '../../../controllers/kube/index.ts';
import type { Manager, Runnable } from '../../../controllers/manager/index.ts';
import { Quota, type QuotaObject } from '../api/index.ts';
import { namespaceResource, type PlatformCaches } from '../caches.ts';
import { QuotaAdmission } from './admission.ts';
import { startAdmissionServer } from './admission-server.ts';
import {
  ensureServingCertificate,
  readIssuedCertificate,
  type CertificatePolicy,
  type ServingCertificate,
} from './serving-certificate.ts';
import {
  applyWebhookConfiguration,
  webhookConfigurationResource,
  type ClientConfig,
} from './webhook-configuration.ts';

const secretResource = {
  group: '',
  version: 'v1',
  plural: 'secrets',
  namespaced: true,
  kind: 'Secret',
};

/** How often the certificate is looked at even when no renewal is due (another replica's). */
const recheckMs = 3600_000;

export interface QuotaWebhookOptions {
  /** Where the server listens; port 0 takes a free one. */
  listen: { host: string; port: number };
  /** How the API server reaches it, given the port it listens on. */
  clientConfig: (port: number) => ClientConfig;
  /** The names the serving certificate is for (DNS names, IPv4 addresses). */
  certificateNames: readonly string[];
  secret: { namespace: string; name: string };
  configurationName: string;
  /** Limit the webhook to these tenants' projects; default every project. */
  tenants?: readonly string[];
  /**
   * Who makes the serving certificate: kcloud (default), or cert-manager, whose Secret kcloud
   * only reads (again every minute) and whose CA injector fills in the configuration's bundle.
   */
  certificate?: 'kcloud' | 'cert-manager';
  /** How often cert-manager's certificate is read again; a minute by default. */
  issuedRecheckMs?: number;
  /**
   * false: the configuration exists already (the Helm chart makes it, so that uninstalling
   * takes it away) and kcloud writes only its CA bundle. Default true: kcloud writes it whole.
   */
  manageConfiguration?: boolean;
  policy?: CertificatePolicy;
  /** Told the port once the server listens (tests). */
  onListening?: (port: number) => void;
}

/**
 * How long a replica keeps trusting the old CA after it swapped to a certificate of a new one:
 * the other replicas, which read the same Secret at the same renewal time, swap within it.
 */
const oldCaGraceMs = 60_000;

export class QuotaWebhook implements Runnable {
  readonly name = 'quota-webhook';
  // Every replica serves: the API server reaches them through one Service, and a standby
  // that answers keeps admission up while the leader changes.
  readonly needLeaderElection = false;
  private serving = false;
  private readonly mgr: Manager;
  private readonly opts: QuotaWebhookOptions;
  private readonly admission: QuotaAdmission;

  constructor(mgr: Manager, caches: PlatformCaches, opts: QuotaWebhookOptions) {
    this.mgr = mgr;
    this.opts = opts;
    this.admission = new QuotaAdmission({
      caches,
      quotas: mgr.client<QuotaObject>(Quota.resource),
      namespaces: mgr.client<KubeObject>(namespaceResource),
    });
  }

  isReady(): boolean {
    return this.serving;
  }

  /** Retries `step` every 2 s until it succeeds: what it waits for comes from elsewhere. */
  private async untilDone<T>(
    what: string,
    step: () => Promise<T>,
    signal: AbortSignal,
  ): Promise<T> {
    for (;;) {
      try {
        return await step();
      } catch (err) {
        this.mgr.log.info(`quota webhook waiting ${what}`, {
          error: err instanceof Error ? err.message : String(err),
        });
        await realClock.sleep(2000, signal);
      }
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    const secrets = this.mgr.client<KubeObject>(secretResource);
    const configurations = this.mgr.client<KubeObject>(webhookConfigurationResource);
    const names = this.opts.certificateNames;
    const issued = this.opts.certificate === 'cert-manager';
    // kcloud's own certificate, made or renewed in the Secret; or cert-manager's, read as is.
    const certificate = () =>
      issued
        ? readIssuedCertificate(secrets, this.opts.secret, new Date(), this.opts.issuedRecheckMs)
        : ensureServingCertificate(secrets, this.opts.secret, names, new Date(), this.opts.policy);
    let current = await this.untilDone('for its certificate', certificate, signal);
    const server = await startAdmissionServer({
      ...this.opts.listen,
      cert: current.cert,
      key: current.key,
      admit: (req) => this.admission.admit(req),
      log: this.mgr.log.child({ component: 'quota-webhook' }),
    });
    try {
      const port = server.port;
      this.opts.onListening?.(port);
      const config = {
        name: this.opts.configurationName,
        clientConfig: this.opts.clientConfig(port),
        ...(this.opts.tenants ? { tenants: this.opts.tenants } : {}),
      };
      const whole = this.opts.manageConfiguration !== false;
      // With cert-manager's certificate its CA injector writes the bundle: nothing to write.
      const configure = async (bundle: string) => {
        if (!issued) await applyWebhookConfiguration(configurations, config, bundle, whole);
      };
      // A configuration the chart makes may come a moment after this replica starts.
      await this.untilDone('to configure', () => configure(current.caBundle), signal);
      this.serving = true;
      this.mgr.log.info('quota webhook serving', { port, configuration: config.name });
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
          this.mgr.log.error('quota webhook certificate not read', {
            error: err instanceof Error ? err.message : String(err),
          });
          current = { ...current, renewAt: new Date(Date.now() + 10_000) };
          continue;
        }
        if (next.cert !== current.cert || next.caBundle !== current.caBundle) {
          // The API server must trust the new CA before the server presents what it signed.
          await configure(next.caBundle + current.caBundle);
          server.setCertificate(next);
          if (!issued && next.caBundle !== current.caBundle) {
            try {
              await realClock.sleep(oldCaGraceMs, signal);
            } catch {
              break;
            }
          }
          await configure(next.caBundle);
          this.mgr.log.info('quota webhook certificate renewed', {
            renewAt: next.renewAt.toISOString(),
          });
        }
        current = next;
      }
    } finally {
      this.serving = false;
      await server.close();
    }
  }
}
