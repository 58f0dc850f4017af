import { describe, expect, it } from '@jest/globals';
import { firstAnswer, missesBetween, parseAttempt, type Attempt } from './prober.ts';

describe('the probe', () => {
  const attempts: Attempt[] = [
    { t: 100, r: 105, who: 'a' },
    { t: 105, miss: true },
    { t: 110, r: 140, who: 'b' },
    { t: 115, r: 120, who: 'b' },
  ];

  it('parses the client’s lines and ignores anything else', () => {
    expect(parseAttempt('{"t":1,"r":2,"who":"a"}')).toEqual({ t: 1, r: 2, who: 'a' });
    expect(parseAttempt('{"t":1,"miss":true}')).toEqual({ t: 1, miss: true });
    expect(parseAttempt('ready')).toBeUndefined();
    expect(parseAttempt('{"r":2}')).toBeUndefined();
  });

  it('takes the earliest answer by the new guest among attempts started after the write', () => {
    expect(firstAnswer(attempts, 101, 'b')).toEqual({ t: 115, r: 120 });
    expect(firstAnswer(attempts, 111, 'b')).toEqual({ t: 115, r: 120 });
    expect(firstAnswer(attempts, 101, 'a')).toBeUndefined();
    expect(missesBetween(attempts, 101, 115)).toBe(1);
    expect(missesBetween(attempts, 106, 115)).toBe(0);
  });
});
