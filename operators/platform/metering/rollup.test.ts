import { describe, expect, it } from '@jest/globals';
import type { UsageRecord } from './records.ts';
import { calendarPeriod, rollUp, rollupTable } from './rollup.ts';

function record(over: Partial<UsageRecord>): UsageRecord {
  return {
    id: 'x',
    periodStart: '2026-12-06T10:00:00.000Z',
    periodEnd: '2026-12-06T11:00:00.000Z',
    tenant: 'finance',
    namespace: 'finance-prod',
    kind: 'Instance',
    name: 'vm',
    uid: 'u',
    dimension: 'vcpu-hours',
    quantity: 2,
    unit: 'vCPU',
    seconds: 3600,
    amount: 2,
    ...over,
  };
}

describe('metering roll-up', () => {
  it('names calendar periods in UTC: days, ISO weeks and months', () => {
    expect(calendarPeriod('2026-12-06T23:00:00.000Z', 'day')).toBe('2026-12-06');
    expect(calendarPeriod('2026-12-06T23:00:00.000Z', 'month')).toBe('2026-12');
    // Sunday 6 December 2026 ends ISO week 49; Monday 7 December starts week 50.
    expect(calendarPeriod('2026-12-06T23:00:00.000Z', 'week')).toBe('2026-W49');
    expect(calendarPeriod('2026-12-07T00:00:00.000Z', 'week')).toBe('2026-W50');
    // 1 January 2027 is a Friday: it belongs to the last week of 2026.
    expect(calendarPeriod('2027-01-01T00:00:00.000Z', 'week')).toBe('2026-W53');
    expect(calendarPeriod('2026-01-01T00:00:00.000Z', 'week')).toBe('2026-W01');
  });

  it('sums per period, tenant and dimension, each record id once', () => {
    const records = [
      record({ id: 'a' }),
      record({ id: 'a' }),
      record({ id: 'b', periodStart: '2026-12-06T11:00:00.000Z', amount: 1.5 }),
      record({ id: 'c', periodStart: '2026-12-07T00:00:00.000Z' }),
      record({ id: 'd', tenant: '', namespace: 'lab', amount: 0.25 }),
      record({ id: 'e', dimension: 'eip-hours', amount: 1 }),
    ];
    expect(rollUp(records, { by: 'day' })).toEqual([
      { period: '2026-12-06', tenant: 'finance', dimension: 'eip-hours', amount: 1, records: 1 },
      { period: '2026-12-06', tenant: 'finance', dimension: 'vcpu-hours', amount: 3.5, records: 2 },
      {
        period: '2026-12-06',
        tenant: 'namespace/lab',
        dimension: 'vcpu-hours',
        amount: 0.25,
        records: 1,
      },
      { period: '2026-12-07', tenant: 'finance', dimension: 'vcpu-hours', amount: 2, records: 1 },
    ]);
    expect(rollUp(records, { by: 'month' }).find((r) => r.dimension === 'vcpu-hours')?.amount).toBe(
      5.5,
    );
  });

  it('rolls sub-tenants up into the tenant asked for, leaving out everyone else', () => {
    const records = [
      record({ id: 'a', tenant: 'finance' }),
      record({ id: 'b', tenant: 'payroll', amount: 4 }),
      record({ id: 'c', tenant: 'sales', amount: 8 }),
      record({ id: 'd', tenant: '', namespace: 'lab', amount: 16 }),
    ];
    const rows = rollUp(records, {
      by: 'week',
      scope: { tenants: new Set(['finance', 'payroll']), as: 'finance' },
    });
    expect(rows).toEqual([
      { period: '2026-W49', tenant: 'finance', dimension: 'vcpu-hours', amount: 6, records: 2 },
    ]);
    expect(rollupTable(rows)).toBe(
      'PERIOD    TENANT   DIMENSION   AMOUNT  RECORDS\n2026-W49  finance  vcpu-hours  6       2',
    );
  });
});
