// The audit view: records of a time window, optionally one tenant's or one user's, as a table
// for people or JSON lines for tools.
import type { AuditRecord } from './records.ts';

export interface ViewFilter {
  /** Epoch ms; records before it are left out. */
  since?: number;
  /** Epoch ms; records from it on are left out. */
  until?: number;
  user?: string;
  /** Only writes (no get/list/watch). */
  writesOnly?: boolean;
  inScope?: (r: AuditRecord) => boolean;
}

const reads = new Set(['get', 'list', 'watch']);

export function selected(r: AuditRecord, f: ViewFilter): boolean {
  const at = Date.parse(r.time);
  if (f.since !== undefined && !(at >= f.since)) return false;
  if (f.until !== undefined && !(at < f.until)) return false;
  if (f.user !== undefined && r.user !== f.user) return false;
  if (f.writesOnly === true && reads.has(r.verb)) return false;
  return f.inScope?.(r) ?? true;
}

const columns = ['TIME', 'USER', 'VERB', 'RESOURCE', 'NAMESPACE', 'NAME', 'RESULT'] as const;

/** A kubectl-style table; `via` shows as `user (via admin)`. */
export function table(records: readonly AuditRecord[]): string {
  const rows = records.map((r) => [
    r.time.replace(/\.\d+Z$/, 'Z'),
    r.via === undefined ? r.user : `${r.user} (via ${r.via})`,
    r.verb,
    r.resource,
    r.namespace ?? '',
    r.name ?? '',
    r.result === 'Allowed' ? `${r.code}` : `${r.code} ${r.result}`,
  ]);
  const all = [[...columns], ...rows];
  const widths = columns.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

/** `30m`, `24h`, `7d` before `now`, or an RFC 3339 time; epoch ms. */
export function timeBound(flag: string, value: string, now: Date): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(value);
  if (m) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
      m[2] as 's' | 'm' | 'h' | 'd'
    ];
    return now.getTime() - Number(m[1]) * unit;
  }
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(at.getTime())) {
    throw new Error(
      `${flag} must be a duration like 30m, 24h or 7d, or an RFC 3339 time, not "${value}"`,
    );
  }
  return at.getTime();
}
