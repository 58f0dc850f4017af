// A usage record (one line of a CDR file): what one object used of one dimension in one
// period. Its id is a hash of exactly those three, so writing it again is recognised.
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../../controllers/kube/index.ts';
import { parseTime } from '../../../controllers/kube/index.ts';
import type { MeteredKind, MeteringLookups } from './dimensions.ts';
import { overlapMs, periodName, type Period } from './periods.ts';

export interface UsageRecord {
  /** sha256 of period start, object uid and dimension (32 hex digits). */
  id: string;
  /** The period, RFC 3339 in UTC: [periodStart, periodEnd). */
  periodStart: string;
  periodEnd: string;
  /** The namespace's tenant when the record was written; empty for a namespace of none. */
  tenant: string;
  namespace: string;
  kind: string;
  name: string;
  uid: string;
  dimension: string;
  /** How much the object held (vCPUs, GiB, 1 instance) when the record was written. */
  quantity: number;
  unit: string;
  /** How long in the period the object existed. */
  seconds: number;
  /** quantity × hours: what the dimension counts (vCPU-hours, GiB-hours, instance-hours). */
  amount: number;
}

/** The columns of the CSV files, in order. */
export const recordFields = [
  'id',
  'periodStart',
  'periodEnd',
  'tenant',
  'namespace',
  'kind',
  'name',
  'uid',
  'dimension',
  'quantity',
  'unit',
  'seconds',
  'amount',
] as const satisfies readonly (keyof UsageRecord)[];

export function recordId(period: Period, uid: string, dimension: string): string {
  return createHash('sha256')
    .update(`${periodName(period)}\n${uid}\n${dimension}`)
    .digest('hex')
    .slice(0, 32);
}

/** Rounded so that sums of many records stay readable; far below any price's precision. */
const round = (x: number) => Math.round(x * 1e9) / 1e9;

/** When an object existed: from creation to deletion (undefined while it lives). */
export function lifetime(obj: KubeObject): { start: number; end: number | undefined } {
  return {
    start: parseTime(obj.metadata.creationTimestamp) ?? 0,
    end: parseTime(obj.metadata.deletionTimestamp),
  };
}

/**
 * The records of one object in one period: for each dimension, quantity × its time in the
 * period. A live object counts to the period's end, a deleted one to its deletion.
 */
export function objectRecords(
  kind: MeteredKind,
  obj: KubeObject,
  period: Period,
  lookups: MeteringLookups,
  tenant: string,
): UsageRecord[] {
  const life = lifetime(obj);
  const ms = overlapMs(life.start, life.end ?? period.end, period);
  if (ms <= 0) return [];
  const uid = obj.metadata.uid ?? '';
  const seconds = ms / 1000;
  return kind.usage(obj, lookups).map((u) => ({
    id: recordId(period, uid, u.dimension),
    periodStart: periodName(period),
    periodEnd: new Date(period.end).toISOString(),
    tenant,
    namespace: obj.metadata.namespace ?? '',
    kind: kind.resource.kind,
    name: obj.metadata.name ?? '',
    uid,
    dimension: u.dimension,
    quantity: u.quantity,
    unit: u.unit,
    seconds,
    amount: round((u.quantity * seconds) / 3600),
  }));
}

/** Whom a record is for: its tenant, or `namespace/<name>` for a namespace of no tenant. */
export const usageOwner = (r: UsageRecord) => r.tenant || `namespace/${r.namespace}`;

const csvField = (v: string | number) => {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export const csvHeader = recordFields.join(',') + '\n';

export function csvLine(r: UsageRecord): string {
  return recordFields.map((f) => csvField(r[f])).join(',') + '\n';
}

export function jsonLine(r: UsageRecord): string {
  return JSON.stringify(r) + '\n';
}
