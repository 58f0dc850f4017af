// The metering periods: aligned to multiples of the period length since the epoch (1h periods
// are UTC hours), so that every replica and every restart cuts time at the same instants.

/** A period of metering, [start, end) in epoch milliseconds. */
export interface Period {
  start: number;
  end: number;
}

/** The period that holds the instant `t`. */
export function periodAt(t: number, periodMs: number): Period {
  const start = Math.floor(t / periodMs) * periodMs;
  return { start, end: start + periodMs };
}

/**
 * The period that starts at `from` and ends at the next boundary. `from` is a boundary unless
 * the period length changed since the last closed period: the first period after the change
 * then runs from where the old one ended to the next boundary of the new length, so no instant
 * is left out or counted twice.
 */
export function periodFrom(from: number, periodMs: number): Period {
  return { start: from, end: Math.floor(from / periodMs) * periodMs + periodMs };
}

/** The periods from `from` on that ended by `until`, in order. */
export function endedPeriods(from: number, until: number, periodMs: number): Period[] {
  const periods: Period[] = [];
  for (let p = periodFrom(from, periodMs); p.end <= until; p = periodFrom(p.end, periodMs)) {
    periods.push(p);
  }
  return periods;
}

/** The periods from `from` on that begin before `until`: those an object ending then touched. */
export function periodsBefore(from: number, until: number, periodMs: number): Period[] {
  const periods: Period[] = [];
  for (let p = periodFrom(from, periodMs); p.start < until; p = periodFrom(p.end, periodMs)) {
    periods.push(p);
  }
  return periods;
}

/** How long [start, end) and the period overlap, in milliseconds. */
export function overlapMs(start: number, end: number, period: Period): number {
  return Math.max(0, Math.min(end, period.end) - Math.max(start, period.start));
}

/** A period's name in file names and records: its start, RFC 3339 in UTC. */
export function periodName(period: Period): string {
  return new Date(period.start).toISOString();
}
