import { describe, expect, it } from '@jest/globals';
import { bfdOptions } from './ovn/eip-nb.ts';
import { eipFlags, parseBfdInterval } from './flags.ts';

describe('--eip-gateway-bfd-interval', () => {
  it('takes whole milliseconds from 10ms to 60s, and 0s for OVN’s own', () => {
    expect(parseBfdInterval(eipFlags['eip-gateway-bfd-interval'].default)).toBe(300);
    expect(parseBfdInterval('10ms')).toBe(10);
    expect(parseBfdInterval('1s')).toBe(1000);
    expect(parseBfdInterval('60s')).toBe(60_000);
    expect(parseBfdInterval('0s')).toBe(0);
  });

  it.each(['9ms', '0.5ms', '2m', '300', 'fast'])('refuses %s, saying what it takes', (v) => {
    expect(() => parseBfdInterval(v)).toThrow('--eip-gateway-bfd-interval');
  });

  it('becomes the three NB_Global BFD options, or none for OVN’s own', () => {
    expect(bfdOptions(300)).toEqual({
      'bfd-min-rx': '300',
      'bfd-min-tx': '300',
      'bfd-mult': '3',
    });
    expect(bfdOptions(0)).toEqual({});
  });
});
