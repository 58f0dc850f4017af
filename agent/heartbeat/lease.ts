import { CoordinationV1Api, V1MicroTime, type V1Lease } from '@kubernetes/client-node';

export interface HeartbeatOptions {
  namespace: string;
  hostName: string;
  /** How long the lease stays valid without a renewal. */
  leaseDurationSeconds: number;
}

export function leaseName(hostName: string): string {
  return `kcloud-agent-${hostName}`;
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 404;
}

/**
 * Renews the host's heartbeat Lease (coordination.k8s.io), creating it on first use. The
 * replace carries the resourceVersion just read, so two agents claiming one host name cannot
 * silently overwrite each other: the loser gets a 409 and reports it.
 */
export async function renewLease(api: CoordinationV1Api, opts: HeartbeatOptions): Promise<V1Lease> {
  const name = leaseName(opts.hostName);
  const now = new V1MicroTime();
  let current: V1Lease | undefined;
  try {
    current = await api.readNamespacedLease({ name, namespace: opts.namespace });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!current) {
    return api.createNamespacedLease({
      namespace: opts.namespace,
      body: {
        metadata: { name, namespace: opts.namespace, labels: { 'kcloud.io/component': 'agent' } },
        spec: {
          holderIdentity: opts.hostName,
          leaseDurationSeconds: opts.leaseDurationSeconds,
          acquireTime: now,
          renewTime: now,
        },
      },
    });
  }
  const spec = current.spec ?? {};
  spec.holderIdentity = opts.hostName;
  spec.leaseDurationSeconds = opts.leaseDurationSeconds;
  spec.renewTime = now;
  current.spec = spec;
  return api.replaceNamespacedLease({ name, namespace: opts.namespace, body: current });
}
