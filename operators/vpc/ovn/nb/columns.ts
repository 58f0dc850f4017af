import type { OvsdbClient, nb, RowInput } from '../../../../controllers/ovsdb/index.ts';

export type NbOvsdb = OvsdbClient<nb.Tables>;

/**
 * Whether two column values hold the same data. Sets are unordered in OVSDB, so arrays compare
 * as multisets; maps compare by entries; an absent optional value equals undefined.
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    const left = a.map((v) => JSON.stringify(v)).sort();
    const right = b.map((v) => JSON.stringify(v)).sort();
    return left.every((v, i) => v === right[i]);
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ak = Object.keys(a);
    const bo = b as Record<string, unknown>;
    return (
      ak.length === Object.keys(b).length &&
      ak.every((k) => Object.hasOwn(bo, k) && sameValue((a as Record<string, unknown>)[k], bo[k]))
    );
  }
  return a === b;
}

/**
 * The columns of `desired` whose values differ from `current`, ready for an update; undefined
 * when there is nothing to write. Only the columns `desired` names are compared: the rest are
 * not ours to manage.
 */
export function changedColumns<R extends object>(
  current: R,
  desired: RowInput<R>,
): RowInput<R> | undefined {
  const have = current as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(desired)) {
    if (!sameValue(have[column], value)) out[column] = value;
  }
  return Object.keys(out).length === 0 ? undefined : (out as RowInput<R>);
}
