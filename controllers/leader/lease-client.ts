import {
  ApiException,
  V1MicroTime,
  type CoordinationV1Api,
  type V1Lease,
} from '@kubernetes/client-node';

export type Lease = V1Lease;

/**
 * The three Lease calls leader election needs. `update` sends the lease as given, including the
 * `metadata.resourceVersion` it was read with, so the API server refuses it with 409 Conflict
 * when someone else wrote in between: that is what keeps two candidates from both winning.
 */
export interface LeaseClient {
  /** The lease, or undefined when it does not exist. */
  get(namespace: string, name: string): Promise<Lease | undefined>;
  create(lease: Lease): Promise<Lease>;
  update(lease: Lease): Promise<Lease>;
}

/** A LeaseClient on the coordination.k8s.io/v1 API. */
export function coordinationLeaseClient(api: CoordinationV1Api): LeaseClient {
  return {
    async get(namespace, name) {
      try {
        return withMicroTimes(await api.readNamespacedLease({ name, namespace }));
      } catch (err) {
        if (err instanceof ApiException && err.code === 404) return undefined;
        throw err;
      }
    },
    async create(lease) {
      const { namespace } = identify(lease);
      return withMicroTimes(await api.createNamespacedLease({ namespace, body: lease }));
    },
    async update(lease) {
      const { namespace, name } = identify(lease);
      return withMicroTimes(await api.replaceNamespacedLease({ name, namespace, body: lease }));
    },
  };
}

function identify(lease: Lease): { namespace: string; name: string } {
  const namespace = lease.metadata?.namespace;
  const name = lease.metadata?.name;
  if (!namespace || !name) throw new Error('a Lease needs metadata.namespace and metadata.name');
  return { namespace, name };
}

/**
 * The client's serializer does not know MicroTime, so lease times arrive as the server's
 * strings. Turning them back into V1MicroTime keeps the declared types true, and a lease read
 * here can be written back unchanged (V1MicroTime serializes with the six fraction digits the
 * API server requires; a plain Date would be refused).
 */
function withMicroTimes(lease: Lease): Lease {
  const spec = lease.spec;
  if (spec) {
    spec.acquireTime = toMicroTime(spec.acquireTime);
    spec.renewTime = toMicroTime(spec.renewTime);
  }
  return lease;
}

/** A lease time as V1MicroTime, from a string, a Date or undefined. */
export function toMicroTime(value: unknown): V1MicroTime | undefined {
  if (value instanceof V1MicroTime) return value;
  if (value instanceof Date) return new V1MicroTime(value.getTime());
  if (typeof value === 'string') return new V1MicroTime(value);
  return undefined;
}
