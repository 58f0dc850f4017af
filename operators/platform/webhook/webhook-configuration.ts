// The ValidatingWebhookConfiguration kcloud manages: the quota'd kinds' creates and resizes go
// to the webhook with failurePolicy Fail (no webhook, no create), their deletes with Ignore (a
// release the controller's recount also makes). Only namespaces that are projects are sent.
import {
  isNotFound,
  type KubeObject,
  type ObjectClient,
  type ResourceRef,
} from '../../../controllers/kube/index.ts';
import { rulesByGroup } from '../../../controllers/admission/index.ts';
import { topologyLabels } from '../../ecs/index.ts';
import { tenantLabel } from '../api/index.ts';
import { countedKinds } from '../quota/counted.ts';

export const webhookConfigurationResource: ResourceRef & { kind: string } = {
  group: 'admissionregistration.k8s.io',
  version: 'v1',
  plural: 'validatingwebhookconfigurations',
  namespaced: false,
  kind: 'ValidatingWebhookConfiguration',
};

export const admissionPath = '/validate';

export type ClientConfig =
  { url: string } | { service: { namespace: string; name: string; port: number } };

export interface WebhookConfigurationOptions {
  name: string;
  clientConfig: ClientConfig;
  /** Limit the webhook to these tenants' projects (a shared test cluster); default all. */
  tenants?: readonly string[];
}

/** An instance's host group as placement names it, '' for none, in `obj`. */
const hostGroupOf = (obj: string) =>
  `(has(${obj}.spec.placement) && has(${obj}.spec.placement.hostGroup) ? ${obj}.spec.placement.hostGroup : '') + '/' + (has(${obj}.spec.placement) && has(${obj}.spec.placement.hostSelector) && '${topologyLabels.hostGroup}' in ${obj}.spec.placement.hostSelector ? ${obj}.spec.placement.hostSelector['${topologyLabels.hostGroup}'] : '')`;

/**
 * The updates a quota can refuse: resizes (flavorRef or resources, a Volume's size), the only
 * ones that grow usage, and an instance moved to another host group. A Volume's VolumeType,
 * hence its StoragePool, cannot change.
 */
const resizeExpression = [
  "request.operation == 'CREATE'",
  "(request.kind.group == 'ecs.kcloud.io' && request.kind.kind == 'Instance' && ((has(object.spec.flavorRef) ? object.spec.flavorRef.name : '') != (has(oldObject.spec.flavorRef) ? oldObject.spec.flavorRef.name : '') || (has(object.spec.resources) ? string(object.spec.resources.vcpu) + '/' + string(object.spec.resources.memory) : '') != (has(oldObject.spec.resources) ? string(oldObject.spec.resources.vcpu) + '/' + string(oldObject.spec.resources.memory) : '')))",
  `(request.kind.group == 'ecs.kcloud.io' && request.kind.kind == 'Instance' && ${hostGroupOf('object')} != ${hostGroupOf('oldObject')})`,
  "(request.kind.group == 'evs.kcloud.io' && request.kind.kind == 'Volume' && string(object.spec.size) != string(oldObject.spec.size))",
].join(' || ');

const rules = (operations: string[]) =>
  rulesByGroup(
    countedKinds.map((k) => k.resource),
    operations,
  );

/** The webhooks of the configuration, by name. */
export const webhookNames = {
  check: 'quota.platform.kcloud.io',
  release: 'quota-release.platform.kcloud.io',
} as const;

const base64 = (text: string) => Buffer.from(text).toString('base64');

/** The whole configuration; without a CA bundle, as the chart installs it for kcloud to fill. */
export function webhookConfiguration(
  opts: WebhookConfigurationOptions,
  caBundle?: string,
): KubeObject {
  const clientConfig = {
    ...('url' in opts.clientConfig
      ? { url: `${opts.clientConfig.url.replace(/\/$/, '')}${admissionPath}` }
      : { service: { ...opts.clientConfig.service, path: admissionPath } }),
    ...(caBundle === undefined ? {} : { caBundle: base64(caBundle) }),
  };
  const namespaceSelector = {
    matchExpressions: [
      opts.tenants
        ? { key: tenantLabel, operator: 'In', values: [...opts.tenants] }
        : { key: tenantLabel, operator: 'Exists' },
    ],
  };
  const common = {
    clientConfig,
    namespaceSelector,
    admissionReviewVersions: ['v1'],
    sideEffects: 'NoneOnDryRun',
    matchPolicy: 'Equivalent',
    timeoutSeconds: 10,
  };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: opts.name, labels: { 'app.kubernetes.io/managed-by': 'kcloud' } },
    webhooks: [
      {
        name: webhookNames.check,
        ...common,
        rules: rules(['CREATE', 'UPDATE']),
        failurePolicy: 'Fail',
        matchConditions: [{ name: 'creates-and-resizes', expression: resizeExpression }],
      },
      {
        name: webhookNames.release,
        ...common,
        rules: rules(['DELETE']),
        failurePolicy: 'Ignore',
      },
    ],
  } as KubeObject;
}

/** Only the CA bundle of each webhook: what kcloud fills into a configuration the chart made. */
export function caBundleOnly(name: string, caBundle: string): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name },
    webhooks: Object.values(webhookNames).map((webhook) => ({
      name: webhook,
      clientConfig: { caBundle: base64(caBundle) },
    })),
  } as KubeObject;
}

/**
 * Writes the configuration by server-side apply: the whole of it, or (`whole` false) only the
 * CA bundles of one that exists already, as the Helm chart installs it so that `helm uninstall`
 * takes it away; a missing one is then an error, to be tried again.
 */
export async function applyWebhookConfiguration(
  client: ObjectClient<KubeObject>,
  opts: WebhookConfigurationOptions,
  caBundle: string,
  whole = true,
): Promise<void> {
  if (!whole) {
    try {
      await client.get(undefined, opts.name);
    } catch (err) {
      if (isNotFound(err)) {
        throw new Error(
          `ValidatingWebhookConfiguration ${opts.name} does not exist: the chart makes it (--manage-webhook-configuration=false)`,
          { cause: err },
        );
      }
      throw err;
    }
  }
  const body = whole ? webhookConfiguration(opts, caBundle) : caBundleOnly(opts.name, caBundle);
  await client.patch(undefined, opts.name, 'apply', body, {
    fieldManager: 'kcloud-quota-webhook',
    force: true,
  });
}

/**
 * The configuration as the Helm chart installs it, so that uninstalling takes it away: no CA
 * bundle (kcloud fills it in), and its names as placeholders the chart fills with the release's.
 */
export function chartWebhookConfiguration(): KubeObject {
  return webhookConfiguration({
    name: '{{ .name }}',
    clientConfig: { service: { namespace: '{{ .namespace }}', name: '{{ .service }}', port: 443 } },
  });
}
