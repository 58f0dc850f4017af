// Sums of usage records per tenant, dimension and calendar period (UTC day, ISO week, month),
// as `kcloud metering` prints them. A record counts in the calendar period its metering period
// starts in.
import { usageOwner, type UsageRecord } from './records.ts';

export type Rollup = 'day' | 'week' | 'month';

export interface RollupRow {
  /** 2026-12-06, 2026-W49 or 2026-12. */
  period: string;
  /** The tenant; a namespace of no tenant is shown as `namespace/<name>`. */
  tenant: string;
  dimension: string;
  amount: number;
  records: number;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** ISO 8601 week: weeks start on Monday; week 1 holds the year's first Thursday. */
function isoWeek(d: Date): string {
  const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${String(day.getUTCFullYear())}-W${pad(week)}`;
}

export function calendarPeriod(time: string, by: Rollup): string {
  const d = new Date(time);
  const month = `${String(d.getUTCFullYear())}-${pad(d.getUTCMonth() + 1)}`;
  if (by === 'month') return month;
  if (by === 'day') return `${month}-${pad(d.getUTCDate())}`;
  return isoWeek(d);
}

export interface RollupOptions {
  by: Rollup;
  /** Only these tenants' records (a tenant and its sub-tenants), all shown as `as`. */
  scope?: { tenants: ReadonlySet<string>; as: string };
}

/** Sums the records (each id once) per calendar period, tenant and dimension. */
export function rollUp(records: readonly UsageRecord[], opts: RollupOptions): RollupRow[] {
  const rows = new Map<string, RollupRow>();
  const seen = new Set<string>();
  for (const r of records) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    if (opts.scope && !opts.scope.tenants.has(r.tenant)) continue;
    const tenant = opts.scope?.as ?? usageOwner(r);
    const period = calendarPeriod(r.periodStart, opts.by);
    const key = `${period}\n${tenant}\n${r.dimension}`;
    const row = rows.get(key) ?? { period, tenant, dimension: r.dimension, amount: 0, records: 0 };
    row.amount += r.amount;
    row.records += 1;
    rows.set(key, row);
  }
  return [...rows.values()]
    .map((row) => ({ ...row, amount: Math.round(row.amount * 1e6) / 1e6 }))
    .sort(
      (a, b) =>
        a.period.localeCompare(b.period) ||
        a.tenant.localeCompare(b.tenant) ||
        a.dimension.localeCompare(b.dimension),
    );
}

export function rollupTable(rows: readonly RollupRow[]): string {
  const header = ['PERIOD', 'TENANT', 'DIMENSION', 'AMOUNT', 'RECORDS'];
  const cells = rows.map((r) => [
    r.period,
    r.tenant,
    r.dimension,
    String(r.amount),
    String(r.records),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]?.length ?? 0)));
  return [header, ...cells]
    .map((c) =>
      c
        .map((v, i) => v.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
