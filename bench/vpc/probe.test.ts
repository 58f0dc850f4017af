import { describe, expect, it } from '@jest/globals';
import { enforcement, firstStarted, misses, parseAttempt, settled, type Attempt } from './probe.ts';

describe('parseAttempt', () => {
  it('reads the lines the client prints and ignores anything else', () => {
    expect(parseAttempt('{"t":1700000000123,"ok":true}')).toEqual({ t: 1700000000123, ok: true });
    expect(parseAttempt('{"t":"x","ok":true}')).toBeUndefined();
    expect(parseAttempt('listening')).toBeUndefined();
    expect(parseAttempt('null')).toBeUndefined();
  });
});

describe('firstStarted', () => {
  // In arrival order: dropped attempts arrive only at their deadline, after later successes.
  const attempts: Attempt[] = [
    { t: 100, ok: false },
    { t: 140, ok: true },
    { t: 120, ok: false },
    { t: 130, ok: true },
    { t: 160, ok: true },
  ];

  it('finds the earliest start with the outcome, not the first line', () => {
    expect(firstStarted(attempts, 110, true)).toEqual({ t: 130, ok: true });
    expect(firstStarted(attempts, 110, false)).toEqual({ t: 120, ok: false });
  });

  it('ignores attempts started before the moment', () => {
    expect(firstStarted(attempts, 150, false)).toBeUndefined();
    expect(firstStarted(attempts, 130, true)?.t).toBe(130);
  });
});

describe('settled', () => {
  it('looks at the latest-started attempts', () => {
    const a: Attempt[] = [
      { t: 1, ok: false },
      { t: 3, ok: true },
      { t: 2, ok: true },
    ];
    expect(settled(a, 2, true)).toBe(true);
    expect(settled(a, 3, true)).toBe(false);
    expect(settled(a, 4, true)).toBe(false);
  });
});

describe('enforcement', () => {
  const at = (t: number, ok: boolean): Attempt => ({ t, ok });

  it('takes the first attempt through as the opening, whatever missed its deadline after', () => {
    const a = [at(90, false), at(100, false), at(120, true), at(140, false), at(160, true)];
    const opened = enforcement(a, 95, true);
    expect(opened).toEqual(at(120, true));
    expect(misses(a, 95, opened ?? at(0, true), true)).toBe(1);
  });

  it('takes the first drop after the last attempt through as the closing', () => {
    // 120 missed its deadline while the path was still open: 140 connected after it.
    const a = [at(100, true), at(120, false), at(140, true), at(160, false), at(180, false)];
    const closed = enforcement(a, 110, false);
    expect(closed).toEqual(at(160, false));
    expect(misses(a, 110, closed ?? at(0, false), false)).toBe(1);
  });

  it('is nothing until the new outcome has been seen', () => {
    expect(enforcement([at(100, true)], 50, false)).toBeUndefined();
    expect(enforcement([at(100, false)], 50, true)).toBeUndefined();
  });
});
