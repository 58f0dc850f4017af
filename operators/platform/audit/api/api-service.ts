// The APIService that makes the API server route audit.kcloud.io to kcloud's audit API, through
// a Service, trusting kcloud's CA for it. kcloud writes it whole, or only its CA bundle into one
// made by whoever installs kcloud (so that uninstalling takes it away).
import {
  isNotFound,
  type KubeObject,
  type ObjectClient,
  type ResourceRef,
} from '../../../../controllers/kube/index.ts';
import { auditApiServiceName, auditGroup, auditVersion } from './resource.ts';

export const apiServiceResource: ResourceRef & { kind: string } = {
  group: 'apiregistration.k8s.io',
  version: 'v1',
  plural: 'apiservices',
  namespaced: false,
  kind: 'APIService',
};

export interface ServiceRef {
  namespace: string;
  name: string;
  port: number;
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

/** The APIService; without a CA bundle, for kcloud to fill in. */
export function apiService(service: ServiceRef, caBundle?: string): KubeObject {
  return {
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: auditApiServiceName, labels: { 'app.kubernetes.io/part-of': 'kcloud' } },
    spec: {
      group: auditGroup,
      version: auditVersion,
      service,
      ...(caBundle === undefined ? {} : { caBundle: base64(caBundle) }),
      // Low: a group of its own, nothing to take precedence over.
      groupPriorityMinimum: 1000,
      versionPriority: 15,
    },
  } as KubeObject;
}

const fieldManager = 'kcloud-audit-api';

export async function applyApiService(
  client: ObjectClient<KubeObject>,
  service: ServiceRef,
  caBundle: string,
  whole: boolean,
): Promise<void> {
  if (!whole) {
    try {
      await client.get(undefined, auditApiServiceName);
    } catch (err) {
      if (isNotFound(err)) {
        throw new Error(
          `APIService ${auditApiServiceName} does not exist: with --manage-api-service=false it is made by whoever installs kcloud`,
          { cause: err },
        );
      }
      throw err;
    }
  }
  const body = whole
    ? apiService(service, caBundle)
    : ({
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: auditApiServiceName },
        spec: { caBundle: base64(caBundle) },
      } as KubeObject);
  await client.patch(undefined, auditApiServiceName, 'apply', body, { fieldManager, force: true });
}
