import { describe, expect, it } from '@jest/globals';
import {
  endedPeriods,
  overlapMs,
  periodAt,
  periodFrom,
  periodName,
  periodsBefore,
} from './periods.ts';

const t = (hms: string) => Date.parse(`2026-01-01T${hms}Z`);
const hour = 3_600_000;

describe('metering periods', () => {
  it('are aligned to multiples of their length since the epoch', () => {
    expect(periodAt(t('10:20:30'), hour)).toEqual({ start: t('10:00:00'), end: t('11:00:00') });
    expect(periodAt(t('10:00:00'), hour)).toEqual({ start: t('10:00:00'), end: t('11:00:00') });
    expect(periodName(periodAt(t('10:20:30'), hour))).toBe('2026-01-01T10:00:00.000Z');
  });

  it('after a change of length, run from where the last one ended to the next boundary', () => {
    // 1h periods closed until 10:00, then 25-minute periods: 10:00 is no boundary of 25m
    // since the epoch (09:50 and 10:15 are), so the first one is short.
    const p = periodFrom(t('10:00:00'), 25 * 60_000);
    expect(p).toEqual({ start: t('10:00:00'), end: t('10:15:00') });
    const next = periodFrom(p.end, 25 * 60_000);
    expect(next).toEqual({ start: t('10:15:00'), end: t('10:40:00') });
  });

  it('walks the ended periods without a gap or an overlap', () => {
    const ps = endedPeriods(t('10:00:00'), t('13:30:00'), hour);
    expect(ps.map((p) => periodName(p))).toEqual([
      '2026-01-01T10:00:00.000Z',
      '2026-01-01T11:00:00.000Z',
      '2026-01-01T12:00:00.000Z',
    ]);
    for (let i = 1; i < ps.length; i++) expect(ps[i]?.start).toBe(ps[i - 1]?.end);
    expect(endedPeriods(t('10:00:00'), t('10:59:59'), hour)).toEqual([]);
    expect(endedPeriods(t('10:00:00'), t('11:00:00'), hour)).toHaveLength(1);
  });

  it('lists the periods an object ending at an instant touched', () => {
    expect(periodsBefore(t('10:00:00'), t('11:00:00'), hour)).toHaveLength(1);
    expect(periodsBefore(t('10:00:00'), t('11:00:01'), hour)).toHaveLength(2);
    expect(periodsBefore(t('10:00:00'), t('09:30:00'), hour)).toHaveLength(0);
  });

  it('overlap is the time of [start, end) inside the period', () => {
    const p = periodAt(t('10:00:00'), hour);
    expect(overlapMs(t('09:00:00'), t('12:00:00'), p)).toBe(hour);
    expect(overlapMs(t('10:15:00'), t('10:45:00'), p)).toBe(30 * 60_000);
    expect(overlapMs(t('10:45:00'), t('12:00:00'), p)).toBe(15 * 60_000);
    expect(overlapMs(t('11:00:00'), t('12:00:00'), p)).toBe(0);
    expect(overlapMs(t('08:00:00'), t('10:00:00'), p)).toBe(0);
  });
});
