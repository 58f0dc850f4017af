import type { ApiTransport } from '../kube/api-client.ts';
import { isNotFound } from '../kube/api-error.ts';
import { ObjectClient } from '../kube/object-client.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceRef } from '../kube/resource.ts';

/** coordination.k8s.io/v1 Lease; times are MicroTime strings (controllers/kube/time.ts). */
export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export const leaseResource: ResourceRef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  namespaced: true,
  kind: 'Lease',
};

/**
 * The three Lease calls leader election and host heartbeats need. `update` sends the lease as
 * given, including the `metadata.resourceVersion` it was read with, so the API server refuses
 * it with 409 Conflict when someone else wrote in between: that is what keeps two candidates
 * from both winning.
 */
export interface LeaseClient {
  /** The lease, or undefined when it does not exist. */
  get(namespace: string, name: string): Promise<Lease | undefined>;
  create(lease: Lease): Promise<Lease>;
  update(lease: Lease): Promise<Lease>;
}

/**
 * A LeaseClient on the coordination.k8s.io/v1 API, through the runtime's one HTTP client (so
 * its requests are counted in rest_client_requests_total like every other).
 */
export function coordinationLeaseClient(api: ApiTransport): LeaseClient {
  const leases = new ObjectClient<Lease>(api, leaseResource);
  return {
    async get(namespace, name) {
      try {
        return await leases.get(namespace, name);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    create(lease) {
      identify(lease);
      return leases.create(lease);
    },
    update(lease) {
      identify(lease);
      return leases.update(lease);
    },
  };
}

function identify(lease: Lease): void {
  if (!lease.metadata.namespace || !lease.metadata.name) {
    throw new Error('a Lease needs metadata.namespace and metadata.name');
  }
}
