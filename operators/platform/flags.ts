// The platform operator's flags: where the quota webhook listens, how the API server reaches
// it, and where its certificate and configuration live.
import { stringFlag, type FlagSpecs, type FlagValues } from '../../controllers/manager/index.ts';
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
} satisfies FlagSpecs;

export interface PlatformOperatorConfig {
  webhook: Omit<QuotaWebhookOptions, 'onListening'> | undefined;
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

/** The platform operator's settings from its flags. */
export function configurePlatform(values: FlagValues): PlatformOperatorConfig {
  if (!booleanString('quota-webhook', values, false)) return { webhook: undefined };
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
    const service = stringFlag(values, 'webhook-service');
    const [ref = '', port = '443'] = service.split(':');
    const { namespace, name } = namespacedName('webhook-service', ref);
    clientConfig = () => ({ service: { namespace, name, port: Number(port) } });
    certificateNames = [`${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`];
  }
  return {
    webhook: {
      listen,
      clientConfig,
      certificateNames,
      secret: namespacedName('webhook-secret', stringFlag(values, 'webhook-secret')),
      configurationName: stringFlag(values, 'webhook-configuration'),
      manageConfiguration: booleanString('manage-webhook-configuration', values),
      certificate: certificateSource(stringFlag(values, 'webhook-certificate') || 'kcloud'),
    },
  };
}
