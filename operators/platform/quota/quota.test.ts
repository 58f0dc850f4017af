import { describe, expect, it } from '@jest/globals';
import type { QuotaObject, TenantObject } from '../api/index.ts';
import { describeViolation, recount, reservationTtlMs, reserve, violation } from './ledger.ts';
import { computePlatformState, type CountedObject } from './platform-state.ts';
import { quotasOnPath, type NamespaceInfo } from './scopes.ts';
import { TenantTree } from './tenant-tree.ts';
import { fromResourceList, toResourceList } from './usage.ts';

const GiB = 1024 ** 3;
const tenant = (name: string, parent?: string): TenantObject => ({
  apiVersion: 'platform.kcloud.io/v1alpha1',
  kind: 'Tenant',
  metadata: { name },
  spec: parent ? { parentRef: { name: parent } } : {},
});
const quota = (
  name: string,
  scope: { tenant?: string; project?: string },
  hard: QuotaObject['spec']['hard'],
): QuotaObject => ({
  apiVersion: 'platform.kcloud.io/v1alpha1',
  kind: 'Quota',
  metadata: { name },
  spec: {
    ...(scope.tenant ? { tenantRef: { name: scope.tenant } } : {}),
    ...(scope.project ? { projectRef: { name: scope.project } } : {}),
    hard,
  },
});
const ns = (name: string, t: string): NamespaceInfo => ({
  name,
  labels: { 'platform.kcloud.io/tenant': t },
});
const instance = (namespace: string, name: string, vcpu = 2): CountedObject => ({
  key: `ecs.kcloud.io/Instance/${namespace}/${name}`,
  namespace,
  usage: { instances: 1, vcpu, memory: 4 * GiB },
});

// corp ← finance ← payroll; projects: fin-app (finance), pay-app (payroll), corp-ops (corp)
const tenants = [tenant('corp'), tenant('finance', 'corp'), tenant('payroll', 'finance')];
const namespaces = [
  ns('fin-app', 'finance'),
  ns('pay-app', 'payroll'),
  ns('corp-ops', 'corp'),
  { name: 'default' },
];
const now = new Date('2026-01-01T00:00:00Z');

describe('the tenant tree', () => {
  it('gives each tenant its path from the root and its subtree', () => {
    const tree = new TenantTree(tenants);
    expect(tree.pathOf('payroll')).toEqual({ ok: true, path: ['corp', 'finance', 'payroll'] });
    expect([...tree.subtree('finance')].sort()).toEqual(['finance', 'payroll']);
  });

  it('finds a cycle and a missing parent with a reason', () => {
    const tree = new TenantTree([
      tenant('a', 'b'),
      tenant('b', 'c'),
      tenant('c', 'a'),
      tenant('d', 'gone'),
    ]);
    const cycle = tree.pathOf('a');
    expect(cycle).toMatchObject({ ok: false, reason: 'TenantCycle' });
    expect(!cycle.ok && cycle.message).toContain('a → b → c → a');
    expect(tree.pathOf('d')).toMatchObject({ ok: false, reason: 'ParentNotFound' });
    expect([...tree.subtree('a')].sort()).toEqual(['a', 'b', 'c']);
  });

  it('puts a project under its own quota and every ancestor tenant’s, nearest first', () => {
    const quotas = [
      quota('corp', { tenant: 'corp' }, {}),
      quota('pay', { tenant: 'payroll' }, {}),
      quota('fin', { tenant: 'finance' }, {}),
      quota('app', { project: 'pay-app' }, {}),
      quota('other', { project: 'fin-app' }, {}),
    ];
    const tree = new TenantTree(tenants);
    expect(quotasOnPath(namespaces[1], tree, quotas)?.map((q) => q.metadata.name)).toEqual([
      'app',
      'pay',
      'fin',
      'corp',
    ]);
    expect(quotasOnPath(namespaces[3], tree, quotas)).toBeUndefined();
  });
});

describe('the usage record', () => {
  it('refuses what crosses a limit, naming the limit and the use', () => {
    const hard = fromResourceList({ instances: 3, memory: '8Gi' });
    expect(violation(hard, { instances: 2 }, {}, { instances: 1 })).toBeUndefined();
    const v = violation(hard, { instances: 3 }, {}, { instances: 1 });
    expect(v).toEqual({ dimension: 'instances', limit: 3, used: 3, requested: 1 });
    expect(
      describeViolation('tenant finance', {
        dimension: 'instances',
        limit: 3,
        used: 3,
        requested: 1,
      }),
    ).toBe('exceeds the quota of tenant finance: instances limit 3, in use 3, this request adds 1');
    // A resize counts only what grows; shrinking never exceeds.
    expect(
      violation(hard, { memory: 8 * GiB }, { memory: 4 * GiB }, { memory: 6 * GiB }),
    ).toMatchObject({
      dimension: 'memory',
      requested: 2 * GiB,
    });
    expect(
      violation(hard, { memory: 9 * GiB }, { memory: 4 * GiB }, { memory: 2 * GiB }),
    ).toBeUndefined();
  });

  it('keeps a reservation until its object is stored as admitted or it expires', () => {
    const key = 'ecs.kcloud.io/Instance/p/a';
    const ledger = reserve({ used: {}, reservations: [] }, key, {}, { instances: 1 }, now);
    expect(ledger.used).toEqual({ instances: 1 });
    // Not stored yet: it still counts.
    const pending = recount(new Map(), ledger.reservations, new Date(now.getTime() + 1000));
    expect(pending.used).toEqual({ instances: 1 });
    expect(pending.nextExpiryMs).toBe(reservationTtlMs - 1000);
    // Stored: the object counts, the reservation goes.
    const stored = recount(new Map([[key, { instances: 1 }]]), ledger.reservations, now);
    expect(stored).toMatchObject({ used: { instances: 1 }, reservations: [] });
    // Never stored (a create that failed after admission): gone after the TTL.
    expect(
      recount(new Map(), ledger.reservations, new Date(now.getTime() + reservationTtlMs)).used,
    ).toEqual({});
    // A delete admitted but not yet seen counts as nothing at once.
    const released = reserve(
      { used: { instances: 1 }, reservations: [] },
      key,
      { instances: 1 },
      {},
      now,
    );
    expect(recount(new Map([[key, { instances: 1 }]]), released.reservations, now).used).toEqual(
      {},
    );
  });

  it('reads and writes limits in the API form', () => {
    const list = { instances: 2, memory: '8Gi', storage: { gold: '100Gi' } };
    expect(fromResourceList(list)).toEqual({
      instances: 2,
      memory: 8 * GiB,
      'storage/gold': 100 * GiB,
    });
    expect(toResourceList(fromResourceList(list))).toEqual(list);
  });
});

describe('roll-up and child ≤ parent', () => {
  const objects = [
    instance('fin-app', 'a'),
    instance('pay-app', 'b'),
    instance('pay-app', 'c'),
    instance('corp-ops', 'd'),
    instance('default', 'x'),
  ];

  it('sums usage up the tree and takes the tightest limit on the path', () => {
    const quotas = [
      quota('corp', { tenant: 'corp' }, { vcpu: 100 }),
      quota('fin', { tenant: 'finance' }, { vcpu: 20, instances: 10 }),
    ];
    const state = computePlatformState({
      tree: new TenantTree(tenants),
      tenants,
      namespaces,
      quotas,
      objects,
      now,
    });
    expect(state.tenants.get('corp')?.usage).toEqual({ instances: 4, vcpu: 8, memory: 16 * GiB });
    expect(state.tenants.get('finance')?.usage).toMatchObject({ instances: 3 });
    expect(state.tenants.get('payroll')).toMatchObject({
      usage: { instances: 2 },
      projects: ['pay-app'],
      path: ['corp', 'finance', 'payroll'],
    });
    expect(state.tenants.get('payroll')?.limits).toEqual({ vcpu: 20, instances: 10 });
    expect(state.quotas.get('fin')?.used).toEqual({ instances: 3, vcpu: 6, memory: 12 * GiB });
  });

  it('reports a child quota asking more than its parent has left', () => {
    // corp allows 10 instances and uses 4 (2 of them in payroll): payroll may have at most 8.
    const quotas = [
      quota('corp', { tenant: 'corp' }, { instances: 10 }),
      quota('pay-ok', { tenant: 'payroll' }, { instances: 8 }),
      quota('pay-big', { tenant: 'payroll' }, { instances: 9 }),
      quota('app', { project: 'pay-app' }, { vcpu: 64 }),
    ];
    const state = computePlatformState({
      tree: new TenantTree(tenants),
      tenants,
      namespaces,
      quotas,
      objects,
      now,
    });
    expect(state.quotas.get('pay-ok')?.outcome.state).toBe('Ready');
    expect(state.quotas.get('pay-big')?.outcome).toEqual({
      state: 'Stalled',
      reason: 'ExceedsParent',
      message:
        "instances limit 9 exceeds what tenant corp has left for it (8 of its 10); lower it or raise the parent's",
    });
    // The project's quota is checked against every tenant quota above it.
    expect(state.quotas.get('app')?.outcome).toMatchObject({ state: 'Ready' });
  });

  it('gives a tenant in a cycle its reason and counts no quota of a missing tenant', () => {
    const cyclic = [tenant('a', 'b'), tenant('b', 'a')];
    const state = computePlatformState({
      tree: new TenantTree(cyclic),
      tenants: cyclic,
      namespaces: [],
      quotas: [quota('q', { tenant: 'nobody' }, {})],
      objects: [],
      now,
    });
    expect(state.tenants.get('a')?.outcome).toMatchObject({
      state: 'Stalled',
      reason: 'TenantCycle',
    });
    expect(state.quotas.get('q')?.outcome).toMatchObject({ reason: 'TenantNotFound' });
    const long = [tenant('t'.repeat(64))];
    const named = computePlatformState({
      tree: new TenantTree(long),
      tenants: long,
      namespaces: [],
      quotas: [],
      objects: [],
      now,
    });
    expect(named.tenants.get('t'.repeat(64))?.outcome).toMatchObject({ reason: 'NameTooLong' });
  });
});
