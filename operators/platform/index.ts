// The platform operator: tenants, their projects and quotas. Its controller counts usage and
// rolls it up the tenant tree; its admission webhook refuses creates and resizes beyond a quota.
import { type Manager, type Operator } from '../../controllers/manager/index.ts';
import { Flavor } from '../ecs/index.ts';
import { VolumeType } from '../evs/index.ts';
import { Project, Quota, Tenant } from './api/index.ts';
import { PlatformCaches } from './caches.ts';
import { PlatformController } from './controller/platform-controller.ts';
import { configurePlatform, platformFlags, type PlatformOperatorConfig } from './flags.ts';
import { countedKinds } from './quota/counted.ts';
import { QuotaWebhook, type QuotaWebhookOptions } from './webhook/quota-webhook.ts';
import { AuditApi, frontProxyConfigMap, type AuditApiOptions } from './audit/api/index.ts';

export * from './api/index.ts';
export { configurePlatform, platformFlags, type PlatformOperatorConfig } from './flags.ts';
export { type QuotaWebhookOptions } from './webhook/quota-webhook.ts';
export { auditApiServiceName, type AuditApiOptions } from './audit/api/index.ts';
export { makeCa, makeServingCert } from './serving/certificates.ts';
export { chartWebhookConfiguration } from './webhook/webhook-configuration.ts';

const byGroup = (refs: readonly { group: string; plural: string }[]) =>
  [...new Set(refs.map((r) => r.group))].map((group) => ({
    apiGroups: [group],
    resources: refs.filter((r) => r.group === group).map((r) => r.plural),
    verbs: ['get', 'list', 'watch'],
  }));

/**
 * The platform's kinds (status written with PUT: the usage record needs its resourceVersion),
 * namespaces (a Project's), every counted kind and what counting reads, the webhook's Secret
 * and its ValidatingWebhookConfiguration.
 */
/** The kinds of tenants and quotas, which this controller and webhook read and count. */
const quotaKinds = [Tenant, Project, Quota];

export const platformRbac = [
  {
    apiGroups: ['platform.kcloud.io'],
    resources: quotaKinds.map((k) => k.plural),
    verbs: ['get', 'list', 'watch'],
  },
  {
    apiGroups: ['platform.kcloud.io'],
    resources: quotaKinds.map((k) => `${k.plural}/status`),
    verbs: ['update'],
  },
  {
    apiGroups: [''],
    resources: ['namespaces'],
    verbs: ['get', 'list', 'watch', 'create', 'patch'],
  },
  ...byGroup([...countedKinds.map((k) => k.resource), Flavor.resource, VolumeType.resource]),
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'update'] },
  {
    apiGroups: ['admissionregistration.k8s.io'],
    resources: ['validatingwebhookconfigurations'],
    verbs: ['get', 'create', 'patch'],
  },
  // The audit API: its APIService, and the API server's front-proxy CA to trust its callers.
  {
    apiGroups: ['apiregistration.k8s.io'],
    resources: ['apiservices'],
    verbs: ['get', 'create', 'patch'],
  },
  {
    apiGroups: [''],
    resources: ['configmaps'],
    resourceNames: [frontProxyConfigMap.name],
    verbs: ['get'],
  },
];

/** Registers the platform controller and, when configured, the quota webhook and audit API. */
export function addPlatformOperator(
  mgr: Manager,
  config: PlatformOperatorConfig & {
    webhook?: QuotaWebhookOptions | undefined;
    auditApi?: AuditApiOptions | undefined;
  },
): void {
  const caches = new PlatformCaches(mgr);
  mgr.addRunnable(new PlatformController(mgr, caches));
  if (config.webhook) mgr.addRunnable(new QuotaWebhook(mgr, caches, config.webhook));
  if (config.auditApi) mgr.addRunnable(new AuditApi(mgr, config.auditApi));
}

/** The platform operator as kcloud-manager hosts it. */
export const platformOperator: Operator<PlatformOperatorConfig> = {
  name: 'platform',
  rbac: platformRbac,
  flags: platformFlags,
  configure: configurePlatform,
  register: addPlatformOperator,
};
