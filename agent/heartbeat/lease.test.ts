import { describe, expect, it } from '@jest/globals';
import { ApiError, type Lease, type LeaseClient } from '../../controllers/index.ts';
import { renewLease } from './lease.ts';

/** One namespace of Leases in memory, with the API server's resourceVersion check. */
function fakeLeases(namespaceExists = true): LeaseClient & { stored: Map<string, Lease> } {
  const stored = new Map<string, Lease>();
  let version = 0;
  const key = (l: Lease) => `${l.metadata.namespace ?? ''}/${l.metadata.name ?? ''}`;
  const keep = (l: Lease) => {
    const copy = structuredClone(l);
    copy.metadata.resourceVersion = String(++version);
    stored.set(key(copy), copy);
    return Promise.resolve(structuredClone(copy));
  };
  return {
    stored,
    get: (namespace, name) => Promise.resolve(structuredClone(stored.get(`${namespace}/${name}`))),
    create: (lease) => {
      if (!namespaceExists) {
        return Promise.reject(new ApiError(404, { reason: 'NotFound', message: 'no ns' }, 'POST'));
      }
      return keep(lease);
    },
    update: (lease) => {
      if (stored.get(key(lease))?.metadata.resourceVersion !== lease.metadata.resourceVersion) {
        return Promise.reject(new ApiError(409, { reason: 'Conflict', message: 'stale' }, 'PUT'));
      }
      return keep(lease);
    },
  };
}

const opts = { namespace: 'kcloud-hosts', hostName: 'host-a', leaseDurationSeconds: 40 };

describe('renewLease', () => {
  it('creates the Lease named after the host, then renews it keeping acquireTime', async () => {
    const leases = fakeLeases();
    await renewLease(leases, { ...opts, now: () => Date.UTC(2026, 0, 1) });
    await renewLease(leases, { ...opts, now: () => Date.UTC(2026, 0, 1, 0, 0, 10) });
    expect([...leases.stored.keys()]).toEqual(['kcloud-hosts/host-a']);
    expect(leases.stored.get('kcloud-hosts/host-a')?.spec).toEqual({
      holderIdentity: 'host-a',
      leaseDurationSeconds: 40,
      acquireTime: '2026-01-01T00:00:00.000000Z',
      renewTime: '2026-01-01T00:00:10.000000Z',
    });
  });

  it('says which namespace is missing and how to fix it', async () => {
    await expect(renewLease(fakeLeases(false), opts)).rejects.toThrow(
      'the hosts namespace kcloud-hosts does not exist: create it (the chart does) or set --hosts-namespace',
    );
  });
});
