import { describe, expect, it } from '@jest/globals';
import type { AuditRecord } from './records.ts';
import { inScope, subtree } from './scope.ts';
import { selected, table, timeBound } from './view.ts';
import type { TenantObject } from '../api/index.ts';

const record = (over: Partial<AuditRecord>): AuditRecord => ({
  time: '2026-12-06T01:00:00.000100Z',
  user: 'alice',
  verb: 'create',
  resource: 'vpcs.vpc.kcloud.io',
  namespace: 'p1',
  name: 'main',
  code: 201,
  result: 'Allowed',
  auditID: 'a',
  ...over,
});

const tenant = (name: string, parent?: string) =>
  ({
    metadata: { name },
    spec: parent === undefined ? {} : { parentRef: { name: parent } },
  }) as TenantObject;

describe('the audit view', () => {
  it('selects by time window with sub-millisecond log times, user and writes', () => {
    const since = Date.parse('2026-12-06T01:00:00.000Z');
    expect(selected(record({}), { since })).toBe(true);
    expect(selected(record({}), { since: since + 1 })).toBe(false);
    expect(selected(record({}), { until: since })).toBe(false);
    expect(selected(record({}), { user: 'bob' })).toBe(false);
    expect(selected(record({ verb: 'get' }), { writesOnly: true })).toBe(false);
    expect(selected(record({ verb: 'delete' }), { writesOnly: true })).toBe(true);
  });

  it('reads --since as a duration before now or as a time, and refuses anything else', () => {
    const now = new Date('2026-12-06T12:00:00Z');
    expect(timeBound('--since', '2h', now)).toBe(Date.parse('2026-12-06T10:00:00Z'));
    expect(timeBound('--since', '7d', now)).toBe(Date.parse('2026-11-29T12:00:00Z'));
    expect(timeBound('--since', '2026-12-01T00:00:00Z', now)).toBe(
      Date.parse('2026-12-01T00:00:00Z'),
    );
    expect(() => timeBound('--since', 'yesterday', now)).toThrow(/--since must be a duration/);
  });

  it('prints a table with who acted for whom and why a request was refused', () => {
    const out = table([
      record({ via: 'kcloud-admin' }),
      record({ user: 'carol', code: 403, result: 'Forbidden', namespace: 'p2' }),
    ]).split('\n');
    expect(out[0]).toMatch(/^TIME\s+USER\s+VERB\s+RESOURCE\s+NAMESPACE\s+NAME\s+RESULT$/);
    expect(out[1]).toMatch(/^2026-12-06T01:00:00Z\s+alice \(via kcloud-admin\)\s+create\s+.*201$/);
    expect(out[2]).toMatch(/carol\s+create .* p2\s+main\s+403 Forbidden$/);
  });

  it("scopes to a tenant's subtree: its projects, their namespaces, its Tenant objects", () => {
    const tenants = subtree('fin', [
      tenant('fin'),
      tenant('payroll', 'fin'),
      tenant('tax', 'payroll'),
      tenant('hr'),
      tenant('loop-a', 'tax'),
      // A cycle elsewhere does not keep the walk going forever.
      tenant('c1', 'c2'),
      tenant('c2', 'c1'),
    ]);
    expect([...tenants].sort()).toEqual(['fin', 'loop-a', 'payroll', 'tax']);
    const scope = { tenants, namespaces: new Set(['p-fin', 'p-pay']) };
    expect(inScope(record({ namespace: 'p-pay' }), scope)).toBe(true);
    expect(inScope(record({ namespace: 'p-hr' }), scope)).toBe(false);
    const bare = { namespace: undefined } as Partial<AuditRecord>;
    const cluster = (resource: string, name: string) => {
      const r = record({ ...bare, resource, name });
      delete r.namespace;
      return r;
    };
    expect(inScope(cluster('namespaces', 'p-fin'), scope)).toBe(true);
    expect(inScope(cluster('tenants.platform.kcloud.io', 'payroll'), scope)).toBe(true);
    expect(inScope(cluster('tenants.platform.kcloud.io', 'hr'), scope)).toBe(false);
    expect(inScope(cluster('storagepools.evs.kcloud.io', 'p-fin'), scope)).toBe(false);
  });
});
