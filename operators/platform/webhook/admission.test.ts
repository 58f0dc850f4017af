// Quota admission against an in-memory usage record that answers a stale write with 409, as
// the API server does: parallel creates stop exactly at the limit, a refusal higher up undoes
// the reservation made below, a dry run reserves nothing, a delete releases.
import { describe, expect, it } from '@jest/globals';
import { ApiError, type KubeObject, type ObjectClient } from '../../../controllers/kube/index.ts';
import type { QuotaObject, TenantObject } from '../api/index.ts';
import type { PlatformCaches } from '../caches.ts';
import { TenantTree } from '../quota/tenant-tree.ts';
import { QuotaAdmission, type AdmissionRequest } from './admission.ts';

class FakeQuotas {
  private readonly store = new Map<string, QuotaObject>();
  private version = 0;
  writes = 0;
  conflicts = 0;

  put(q: QuotaObject): void {
    this.store.set(q.metadata.name ?? '', {
      ...q,
      metadata: { ...q.metadata, resourceVersion: String(++this.version) },
    });
  }

  list(): QuotaObject[] {
    return [...this.store.values()];
  }

  used(name: string) {
    return this.store.get(name)?.status?.used;
  }

  readonly client = {
    get: async (_ns: string | undefined, name: string) => {
      await Promise.resolve();
      const q = this.store.get(name);
      if (!q) throw new ApiError(404, { reason: 'NotFound' }, 'get');
      return structuredClone(q);
    },
    updateStatus: async (obj: QuotaObject) => {
      // Another request may write between this one's read and its write.
      await new Promise((r) => setTimeout(r, Math.random() * 2));
      const current = this.store.get(obj.metadata.name ?? '');
      if (current?.metadata.resourceVersion !== obj.metadata.resourceVersion) {
        this.conflicts++;
        throw new ApiError(409, { reason: 'Conflict' }, 'update');
      }
      this.writes++;
      this.put({ ...current, status: obj.status } as QuotaObject);
      return obj;
    },
  };
}

const tenant = (name: string, parent?: string): TenantObject => ({
  apiVersion: 'platform.kcloud.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name },
  spec: parent ? { parentRef: { name: parent } } : {},
});
const quota = (name: string, scope: object, hard: object, used: object): QuotaObject => ({
  apiVersion: 'platform.kcloud.io/v1alpha1',
  kind: 'Quota',
  metadata: { name },
  spec: { ...scope, hard },
  status: { used },
});

function setup(quotas: QuotaObject[]) {
  const fake = new FakeQuotas();
  for (const q of quotas) fake.put(q);
  const namespaces: Record<string, KubeObject> = {
    app: { metadata: { name: 'app', labels: { 'platform.kcloud.io/tenant': 'team' } } },
  };
  const caches = {
    namespace: (name: string) => namespaces[name],
    tree: () => new TenantTree([tenant('org'), tenant('team', 'org')]),
    quotas: { cache: { list: () => fake.list() } },
    lookups: { flavor: () => undefined, volumeTypes: () => [] },
  } as unknown as PlatformCaches;
  const admission = new QuotaAdmission({
    caches,
    quotas: fake.client as unknown as ObjectClient<QuotaObject>,
    // A namespace the cache does not hold is looked up live: here, none exists.
    namespaces: {
      get: () => Promise.reject(new ApiError(404, { reason: 'NotFound' }, 'get')),
    } as unknown as ObjectClient<KubeObject>,
  });
  return { fake, admission };
}

const createVpc = (name: string, extra: Partial<AdmissionRequest> = {}): AdmissionRequest => ({
  uid: name,
  kind: { group: 'vpc.kcloud.io', version: 'v1alpha1', kind: 'VPC' },
  operation: 'CREATE',
  namespace: 'app',
  name,
  object: { metadata: { name, namespace: 'app' } },
  ...extra,
});

describe('quota admission', () => {
  it('lets parallel creates reach the limit exactly, retrying the writes that conflict', async () => {
    const { fake, admission } = setup([
      quota('team', { tenantRef: { name: 'team' } }, { vpcs: 7 }, { vpcs: 2 }),
    ]);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => admission.admit(createVpc(`v${String(i)}`))),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
    expect(fake.used('team')).toEqual({ vpcs: 7 });
    expect(results.find((r) => !r.allowed)).toEqual({
      allowed: false,
      message:
        'exceeds the quota of tenant team: vpcs limit 7, in use 7, this request adds 1 (Quota team)',
    });
  });

  it('writes the record once per batch of requests that arrived together, not once per request', async () => {
    const { fake, admission } = setup([
      quota('team', { tenantRef: { name: 'team' } }, { vpcs: 100 }, { vpcs: 0 }),
    ]);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => admission.admit(createVpc(`v${String(i)}`))),
    );
    expect(results.every((r) => r.allowed)).toBe(true);
    expect(fake.used('team')).toEqual({ vpcs: 40 });
    // The first request is written alone; the ones that came while it was written, together.
    expect(fake.writes).toBeLessThanOrEqual(3);
    expect(fake.conflicts).toBe(0);
  });

  it('undoes the reservations below a level that refuses', async () => {
    const { fake, admission } = setup([
      quota('project', { projectRef: { name: 'app' } }, { vpcs: 10 }, { vpcs: 1 }),
      quota('org', { tenantRef: { name: 'org' } }, { vpcs: 3 }, { vpcs: 3 }),
    ]);
    expect(await admission.admit(createVpc('v'))).toMatchObject({
      allowed: false,
      message: expect.stringContaining('the quota of tenant org: vpcs limit 3, in use 3'),
    });
    expect(fake.used('project')).toEqual({ vpcs: 1 });
  });

  it('reserves nothing for a dry run, and releases on delete', async () => {
    const { fake, admission } = setup([
      quota('team', { tenantRef: { name: 'team' } }, { vpcs: 2 }, { vpcs: 2 }),
    ]);
    expect((await admission.admit(createVpc('dry', { dryRun: true }))).allowed).toBe(false);
    const { admission: roomy, fake: roomyFake } = setup([
      quota('team', { tenantRef: { name: 'team' } }, { vpcs: 5 }, { vpcs: 2 }),
    ]);
    expect((await roomy.admit(createVpc('dry', { dryRun: true }))).allowed).toBe(true);
    expect(roomyFake.writes).toBe(0);
    expect(
      await admission.admit({
        ...createVpc('old'),
        operation: 'DELETE',
        object: null,
        oldObject: { metadata: { name: 'old', namespace: 'app' } },
      }),
    ).toEqual({ allowed: true });
    expect(fake.used('team')).toEqual({ vpcs: 1 });
    expect((await admission.admit(createVpc('new'))).allowed).toBe(true);
  });

  it('lets objects outside projects through without reading any quota', async () => {
    const { fake, admission } = setup([
      quota('team', { tenantRef: { name: 'team' } }, { vpcs: 0 }, {}),
    ]);
    expect(await admission.admit({ ...createVpc('x'), namespace: 'elsewhere' })).toEqual({
      allowed: true,
    });
    expect(fake.writes).toBe(0);
  });
});
