// The usage record of one Quota: what is in use (`used`) and the admitted changes the
// controller has not seen stored yet (`reservations`). Admission adds to it; the controller
// recounts it from the real objects, keeping the reservations still on their way.
import type { Reservation } from '../api/index.ts';
import { add, dimensionName, formatAmount, sameUsage, sum, type Usage } from './usage.ts';

/** How long a reservation counts when its object never shows up (a create that failed later). */
export const reservationTtlMs = 30_000;

export interface Ledger {
  used: Usage;
  reservations: Reservation[];
}

export interface Violation {
  dimension: string;
  limit: number;
  used: number;
  requested: number;
}

/** What a change asks for in dimensions that grow; `before` is what the object counted as. */
export function growth(before: Usage, after: Usage): Usage {
  const delta = add(after, before, -1);
  return Object.fromEntries(Object.entries(delta).filter(([, v]) => v > 0));
}

/** The first dimension a change would take beyond a limit, or undefined when it fits. */
export function violation(
  hard: Usage,
  used: Usage,
  before: Usage,
  after: Usage,
): Violation | undefined {
  for (const [dimension, requested] of Object.entries(growth(before, after))) {
    const limit = hard[dimension];
    const inUse = used[dimension] ?? 0;
    if (limit !== undefined && inUse + requested > limit) {
      return { dimension, limit, used: inUse, requested };
    }
  }
  return undefined;
}

export function describeViolation(scope: string, v: Violation): string {
  return `exceeds the quota of ${scope}: ${dimensionName(v.dimension)} limit ${formatAmount(v.dimension, v.limit)}, in use ${formatAmount(v.dimension, v.used)}, this request adds ${formatAmount(v.dimension, v.requested)}`;
}

/** What the record says `object` counts as: its reservation if any, else `stored`. */
export function countedAs(ledger: Ledger, object: string, stored: Usage): Usage {
  return ledger.reservations.find((r) => r.object === object)?.usage ?? stored;
}

/** The record after admitting `object` going from `before` to `after`. */
export function reserve(
  ledger: Ledger,
  object: string,
  before: Usage,
  after: Usage,
  now: Date,
): Ledger {
  return {
    used: add(ledger.used, add(after, before, -1)),
    reservations: [
      ...ledger.reservations.filter((r) => r.object !== object),
      { object, usage: after, at: now.toISOString() },
    ],
  };
}

/**
 * The record recounted from the stored objects in the quota's scope (object → usage): a
 * reservation stays while its object is not yet stored as admitted and it is younger than the
 * TTL, and counts instead of the stored object.
 */
export function recount(
  stored: ReadonlyMap<string, Usage>,
  reservations: readonly Reservation[],
  now: Date,
): Ledger & { nextExpiryMs: number | undefined } {
  const kept = reservations.filter(
    (r) =>
      now.getTime() - Date.parse(r.at) < reservationTtlMs &&
      !sameUsage(stored.get(r.object) ?? {}, r.usage),
  );
  const counted = new Map(stored);
  for (const r of kept) counted.set(r.object, r.usage);
  const expiries = kept.map((r) => Date.parse(r.at) + reservationTtlMs - now.getTime());
  return {
    used: sum(counted.values()),
    reservations: kept,
    nextExpiryMs: expiries.length > 0 ? Math.max(0, Math.min(...expiries)) : undefined,
  };
}

/** The tightest limit per dimension of several quotas. */
export function tightest(hards: readonly Usage[]): Usage {
  const out: Usage = {};
  for (const h of hards)
    for (const [k, v] of Object.entries(h)) out[k] = Math.min(out[k] ?? Infinity, v);
  return out;
}

/**
 * Where a child quota asks for more than an ancestor has left: for each ancestor quota, what
 * it has left for the child is its limit minus its use outside the child's scope.
 */
export function exceedsParent(
  childHard: Usage,
  childScopeUsed: Usage,
  ancestors: readonly { scope: string; hard: Usage; used: Usage }[],
): string | undefined {
  for (const [dimension, limit] of Object.entries(childHard)) {
    for (const a of ancestors) {
      const parentLimit = a.hard[dimension];
      if (parentLimit === undefined) continue;
      const left = parentLimit - (a.used[dimension] ?? 0) + (childScopeUsed[dimension] ?? 0);
      if (limit > left) {
        return `${dimensionName(dimension)} limit ${formatAmount(dimension, limit)} exceeds what ${a.scope} has left for it (${formatAmount(dimension, Math.max(0, left))} of its ${formatAmount(dimension, parentLimit)}); lower it or raise the parent's`;
      }
    }
  }
  return undefined;
}
