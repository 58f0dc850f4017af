import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { meteringMetrics } from './metrics.ts';
import { periodAt } from './periods.ts';
import type { UsageRecord } from './records.ts';

const record = (over: Partial<UsageRecord>): UsageRecord => ({
  id: 'x',
  periodStart: '2026-12-06T10:00:00.000Z',
  periodEnd: '2026-12-06T11:00:00.000Z',
  tenant: 'finance',
  namespace: 'finance-prod',
  kind: 'EIP',
  name: 'e',
  uid: 'u',
  dimension: 'eip-hours',
  quantity: 1,
  unit: 'EIP',
  seconds: 1800,
  amount: 0.5,
  ...over,
});

describe('metering metrics', () => {
  it('add up the usage written per tenant (or tenantless namespace) and dimension', async () => {
    const registry = new Registry();
    const metrics = meteringMetrics(registry);
    expect(meteringMetrics(registry)).toBe(metrics);
    metrics.recordsWritten([
      record({ id: 'a' }),
      record({ id: 'b', amount: 1 }),
      record({ id: 'c', tenant: '', namespace: 'lab', amount: 0.25 }),
    ]);
    metrics.periodClosed(periodAt(Date.parse('2026-12-06T11:00:00Z'), 3_600_000));
    const text = await registry.metrics();
    expect(text).toMatch(
      /^kcloud_metering_usage_total\{tenant="finance",dimension="eip-hours"\} 1\.5$/m,
    );
    expect(text).toMatch(
      /^kcloud_metering_usage_total\{tenant="namespace\/lab",dimension="eip-hours"\} 0\.25$/m,
    );
    expect(text).toMatch(/^kcloud_metering_records_total\{tenant="finance"\} 2$/m);
    expect(text).toMatch(
      new RegExp(
        `^kcloud_metering_closed_until_seconds ${String(Date.parse('2026-12-06T12:00:00Z') / 1000)}$`,
        'm',
      ),
    );
  });
});
