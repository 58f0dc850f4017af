import { isNotFound, microTime, type Lease, type LeaseClient } from '../../controllers/index.ts';

export interface HeartbeatOptions {
  /** The namespace of host heartbeats (`--hosts-namespace`), never the manager's own. */
  namespace: string;
  hostName: string;
  /** How long the lease stays valid without a renewal. */
  leaseDurationSeconds: number;
  /** Labels of a new Lease beside kcloud.io/component (a simulated host's). */
  labels?: Record<string, string>;
  /** Now, in epoch milliseconds. */
  now?: () => number;
}

/**
 * The host's heartbeat Lease is named after the host, as kube-node-lease names node Leases
 * after nodes: the admission policy (agent/access) compares the name with the host in the
 * agent's credentials.
 */
export function leaseName(hostName: string): string {
  return hostName;
}

/**
 * Renews the host's heartbeat Lease (coordination.k8s.io), creating it on first use. The
 * update carries the resourceVersion just read, or that of `known`, so two agents claiming one
 * host name cannot silently overwrite each other: the loser gets a 409 and reports it.
 */
export async function renewLease(
  client: LeaseClient,
  opts: HeartbeatOptions,
  /** The Lease the last renewal returned: updated without a read (as kubelet renews its own). */
  known?: Lease,
): Promise<Lease> {
  const name = leaseName(opts.hostName);
  const now = microTime((opts.now ?? Date.now)());
  const current = known ?? (await client.get(opts.namespace, name));
  if (!current) {
    try {
      return await client.create({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name,
          namespace: opts.namespace,
          labels: { 'kcloud.io/component': 'agent', ...opts.labels },
        },
        spec: {
          holderIdentity: opts.hostName,
          leaseDurationSeconds: opts.leaseDurationSeconds,
          acquireTime: now,
          renewTime: now,
        },
      });
    } catch (err) {
      // The API server answers a create in a missing namespace with 404: say what to do.
      if (isNotFound(err)) {
        throw new Error(
          `the hosts namespace ${opts.namespace} does not exist: create it (the chart does) or set --hosts-namespace`,
          { cause: err },
        );
      }
      throw err;
    }
  }
  return client.update({
    ...current,
    spec: {
      ...current.spec,
      holderIdentity: opts.hostName,
      leaseDurationSeconds: opts.leaseDurationSeconds,
      renewTime: now,
    },
  });
}
