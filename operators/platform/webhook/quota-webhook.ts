// The quota webhook as the manager runs it: the HTTPS server with its rotating certificate
// (serving/certified-server.ts) and the ValidatingWebhookConfiguration with the CA bundle.
import type { KubeObject } from '../../../controllers/kube/index.ts';
import type { Manager, Runnable } from '../../../controllers/manager/index.ts';
import { Quota, type QuotaObject } from '../api/index.ts';
import { namespaceResource, type PlatformCaches } from '../caches.ts';
import { QuotaAdmission } from './admission.ts';
import { startAdmissionServer } from './admission-server.ts';
import { serveCertified, type CertificateSource } from '../serving/certified-server.ts';
import {
  applyWebhookConfiguration,
  webhookConfigurationResource,
  type ClientConfig,
} from './webhook-configuration.ts';

export interface QuotaWebhookOptions extends CertificateSource {
  /** Where the server listens; port 0 takes a free one. */
  listen: { host: string; port: number };
  /** How the API server reaches it, given the port it listens on. */
  clientConfig: (port: number) => ClientConfig;
  configurationName: string;
  /** Limit the webhook to these tenants' projects; default every project. */
  tenants?: readonly string[];
  /**
   * false: the configuration exists already (the Helm chart makes it, so that uninstalling
   * takes it away) and kcloud writes only its CA bundle. Default true: kcloud writes it whole.
   */
  manageConfiguration?: boolean;
  /** Told the port once the server listens (tests). */
  onListening?: (port: number) => void;
}

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

  async run(signal: AbortSignal): Promise<void> {
    const configurations = this.mgr.client<KubeObject>(webhookConfigurationResource);
    const whole = this.opts.manageConfiguration !== false;
    await serveCertified(
      this.mgr,
      {
        ...this.opts,
        what: 'quota webhook',
        start: async (cert) => {
          const server = await startAdmissionServer({
            ...this.opts.listen,
            cert: cert.cert,
            key: cert.key,
            admit: (req) => this.admission.admit(req),
            log: this.mgr.log.child({ component: 'quota-webhook' }),
          });
          this.opts.onListening?.(server.port);
          return server;
        },
        trust: (bundle, port) =>
          applyWebhookConfiguration(
            configurations,
            {
              name: this.opts.configurationName,
              clientConfig: this.opts.clientConfig(port),
              ...(this.opts.tenants ? { tenants: this.opts.tenants } : {}),
            },
            bundle,
            whole,
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
  }
}
