import { describe, expect, it } from '@jest/globals';
import { microTime, parseTime } from './time.ts';

describe('MicroTime', () => {
  it('writes six fraction digits in UTC, as the API server requires', () => {
    expect(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 67))).toBe('2026-01-02T03:04:05.067000Z');
  });

  it('reads what the API server writes, with or without fractions', () => {
    expect(parseTime('2026-01-02T03:04:05.067891Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5, 67));
    expect(parseTime('2026-01-02T03:04:05Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5));
    expect(parseTime(microTime(1_234_567))).toBe(1_234_567);
    expect(parseTime(undefined)).toBeUndefined();
    expect(() => parseTime('yesterday')).toThrow('not an RFC 3339 time');
  });
});
