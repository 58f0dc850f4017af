/**
 * metav1.MicroTime as the API server requires it on writes (Lease times, Event times): RFC 3339
 * in UTC with exactly six fraction digits. JavaScript keeps milliseconds, so the last three are
 * zeros.
 */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/** A metav1.Time or MicroTime from the API server, in epoch milliseconds; undefined when unset. */
export function parseTime(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`not an RFC 3339 time: "${value}"`);
  return ms;
}
