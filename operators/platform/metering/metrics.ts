// Metering as Prometheus sees it: usage per tenant and dimension as records are written, and
// how far the periods are closed.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Period } from './periods.ts';
import { usageOwner, type UsageRecord } from './records.ts';

export interface MeteringMetrics {
  recordsWritten(records: readonly UsageRecord[]): void;
  periodClosed(period: Period): void;
}

const byRegistry = new WeakMap<Registry, MeteringMetrics>();

export function meteringMetrics(registry: Registry): MeteringMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const usage = new Counter({
    name: 'kcloud_metering_usage_total',
    help: 'Usage written to the metering records, per tenant and dimension, in the dimension’s unit-hours (vCPU-hours, GiB-hours, instance-hours, EIP-hours)',
    labelNames: ['tenant', 'dimension'],
    registers: [registry],
  });
  const records = new Counter({
    name: 'kcloud_metering_records_total',
    help: 'Usage records written to the metering files, per tenant',
    labelNames: ['tenant'],
    registers: [registry],
  });
  const closedUntil = new Gauge({
    name: 'kcloud_metering_closed_until_seconds',
    help: 'The end of the last metering period closed (all its records written), as a Unix time',
    registers: [registry],
  });
  const metrics: MeteringMetrics = {
    recordsWritten(written) {
      for (const r of written) {
        const tenant = usageOwner(r);
        usage.inc({ tenant, dimension: r.dimension }, r.amount);
        records.inc({ tenant });
      }
    },
    periodClosed(period) {
      closedUntil.set(period.end / 1000);
    },
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
