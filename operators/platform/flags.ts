// The platform operator's flags: where the quota webhook and the audit API listen, how the API
// server reaches them, and where their certificates and configuration live.
import { stringFlag, type FlagSpecs, type FlagValues } from '../../controllers/manager/index.ts';
import type { AuditApiOptions } from './audit/api/index.ts';
import type { QuotaWebhookOptions } from './webhook/quota-webhook.ts';

export const platformFlags = {
  'quota-webhook': {
    type: 'string',
    default: 'true',
    description:
      'true or false: serve the quota admission webhook and manage its ValidatingWebhookConfiguration (with it off, Quotas report usage but nothing is refused)',
  },
  'webhook-addr': {
    type: 'string',
    default: '0.0.0.0:9443',
    description: 'host:port the quota webhook listens on (HTTPS)',
  },
  'webhook-url': {
    type: 'string',
    default: '',
    description:
      'the https://host:port the API server calls the webhook at (a kcloud outside the cluster); without it, --webhook-service',
  },
  'webhook-service': {
    type: 'string',
    default: 'kcloud-system/kcloud-webhook:443',
    description:
      'namespace/name:port of the Service in front of the webhook, when no --webhook-url',
  },
  'webhook-secret': {
    type: 'string',
    default: 'kcloud-system/kcloud-webhook-tls',
    description:
      "namespace/name of the Secret holding the webhook's CA and serving certificate (made and renewed by kcloud)",
  },
  'webhook-certificate': {
    type: 'string',
    default: 'kcloud',
    description:
      'kcloud: kcloud makes and renews the serving certificate in --webhook-secret; cert-manager: cert-manager issues it there, kcloud reads it and writes no configuration (the CA injector fills in its bundle)',
  },
  'manage-webhook-configuration': {
    type: 'string',
    default: 'true',
    description:
      'true: kcloud writes the whole ValidatingWebhookConfiguration; false: it exists already (the Helm chart makes it) and kcloud fills in its CA bundle',
  },
  'webhook-configuration': {
    type: 'string',
    default: 'kcloud-quota',
    description: 'name of the ValidatingWebhookConfiguration kcloud writes',
  },
  'audit-log': {
    type: 'string',
    default: '',
    description:
      "the API server's audit log (its --audit-log-path, readable here): serve it as the audit API audit.kcloud.io, read per project through RBAC (docs/audit.md); empty: no audit API",
  },
  'audit-addr': {
    type: 'string',
    default: '0.0.0.0:9444',
    description: 'host:port the audit API listens on (HTTPS, front-proxy client certificates only)',
  },
  'audit-service': {
    type: 'string',
    default: 'kcloud-system/kcloud-audit:443',
    description:
      'namespace/name:port of the Service the APIService names (an ExternalName Service when kcloud runs outside the cluster)',
  },
  'audit-secret': {
    type: 'string',
    default: 'kcloud-system/kcloud-audit-tls',
    description:
      "namespace/name of the Secret holding the audit API's CA and serving certificate (made and renewed by kcloud)",
  },
  'manage-api-service': {
    type: 'string',
    default: 'true',
    description:
      'true: kcloud writes the whole APIService of the audit API; false: it exists already (made by whoever installs kcloud) and kcloud fills in its CA bundle',
  },
} satisfies FlagSpecs;

export interface PlatformOperatorConfig {
  webhook: Omit<QuotaWebhookOptions, 'onListening'> | undefined;
  auditApi?: Omit<AuditApiOptions, 'onListening'> | undefined;
}

function hostPort(flag: string, value: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(value);
  if (!m) throw new Error(`--${flag}: expected host:port, got ${value}`);
  return { host: m[1] ?? '', port: Number(m[2]) };
}

function namespacedName(flag: string, value: string): { namespace: string; name: string } {
  const [namespace, name, ...rest] = value.split('/');
  if (!namespace || !name || rest.length > 0)
    throw new Error(`--${flag}: expected namespace/name, got ${value}`);
  return { namespace, name };
}

/** true or false; absent (values made in code, not parsed from a command line) is `absent`. */
function booleanString(flag: string, values: FlagValues, absent = true): boolean {
  const value = stringFlag(values, flag) || String(absent);
  if (value !== 'true' && value !== 'false') {
    throw new Error(`--${flag}: expected true or false, got ${value}`);
  }
  return value === 'true';
}

function certificateSource(value: string): 'kcloud' | 'cert-manager' {
  if (value !== 'kcloud' && value !== 'cert-manager') {
    throw new Error(`--webhook-certificate: expected kcloud or cert-manager, got ${value}`);
  }
  return value;
}

function serviceRef(
  flag: string,
  value: string,
): { namespace: string; name: string; port: number } {
  const [ref = '', port = '443'] = value.split(':');
  if (!/^\d+$/.test(port)) throw new Error(`--${flag}: expected namespace/name:port, got ${value}`);
  return { ...namespacedName(flag, ref), port: Number(port) };
}

/** The DNS names the API server checks a Service's certificate against. */
const serviceNames = (s: { namespace: string; name: string }) => [
  `${s.name}.${s.namespace}.svc`,
  `${s.name}.${s.namespace}.svc.cluster.local`,
];

function configureAuditApi(values: FlagValues): PlatformOperatorConfig['auditApi'] {
  const logPath = stringFlag(values, 'audit-log');
  if (!logPath) return undefined;
  const service = serviceRef('audit-service', stringFlag(values, 'audit-service'));
  return {
    logPath,
    listen: hostPort('audit-addr', stringFlag(values, 'audit-addr')),
    service,
    certificateNames: serviceNames(service),
    secret: namespacedName('audit-secret', stringFlag(values, 'audit-secret')),
    manageApiService: booleanString('manage-api-service', values),
  };
}

/** The platform operator's settings from its flags. */
export function configurePlatform(values: FlagValues): PlatformOperatorConfig {
  const auditApi = configureAuditApi(values);
  return { webhook: configureWebhook(values), ...(auditApi ? { auditApi } : {}) };
}

function configureWebhook(values: FlagValues): PlatformOperatorConfig['webhook'] {
  if (!booleanString('quota-webhook', values, false)) return undefined;
  const listen = hostPort('webhook-addr', stringFlag(values, 'webhook-addr'));
  const url = stringFlag(values, 'webhook-url');
  let clientConfig: QuotaWebhookOptions['clientConfig'];
  let certificateNames: string[];
  if (url) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`--webhook-url: not a URL: ${url}`);
    }
    if (parsed.protocol !== 'https:')
      throw new Error(`--webhook-url: must be https://, got ${url}`);
    clientConfig = () => ({ url });
    certificateNames = [parsed.hostname];
  } else {
    const service = serviceRef('webhook-service', stringFlag(values, 'webhook-service'));
    clientConfig = () => ({ service });
    certificateNames = serviceNames(service);
  }
  return {
    listen,
    clientConfig,
    certificateNames,
    secret: namespacedName('webhook-secret', stringFlag(values, 'webhook-secret')),
    configurationName: stringFlag(values, 'webhook-configuration'),
    manageConfiguration: booleanString('manage-webhook-configuration', values),
    certificate: certificateSource(stringFlag(values, 'webhook-certificate') || 'kcloud'),
  };
}
