import { describe, expect, it } from '@jest/globals';
import {
  containsCidr,
  formatCidr,
  formatIPv4,
  overlaps,
  parseCidr,
  parseIPv4,
  parseRange,
} from './ipv4.ts';

describe('IPv4 arithmetic', () => {
  it('parses and formats addresses, rejecting malformed ones', () => {
    expect(formatIPv4(parseIPv4('10.0.1.255'))).toBe('10.0.1.255');
    expect(parseIPv4('255.255.255.255')).toBe(2 ** 32 - 1);
    for (const bad of ['10.0.1', '10.0.1.256', '10.0.01.1', '1.2.3.4.5', 'a.b.c.d', '']) {
      expect(() => parseIPv4(bad)).toThrow('not an IPv4 address');
    }
  });

  it('normalizes CIDRs to their network and tests containment and overlap', () => {
    expect(formatCidr(parseCidr('10.0.1.77/24'))).toBe('10.0.1.0/24');
    const vpc = parseCidr('10.0.0.0/16');
    expect(containsCidr(vpc, parseCidr('10.0.200.0/24'))).toBe(true);
    expect(containsCidr(vpc, parseCidr('10.1.0.0/24'))).toBe(false);
    expect(containsCidr(parseCidr('10.0.1.0/24'), vpc)).toBe(false);
    expect(overlaps(parseCidr('10.0.1.0/24'), parseCidr('10.0.1.128/25'))).toBe(true);
    expect(overlaps(parseCidr('10.0.1.0/25'), parseCidr('10.0.1.128/25'))).toBe(false);
    expect(() => parseCidr('10.0.0.0/33')).toThrow('not an IPv4 CIDR');
  });

  it('parses single addresses and inclusive ranges', () => {
    expect(parseRange('10.0.0.5')).toEqual([parseIPv4('10.0.0.5'), parseIPv4('10.0.0.5')]);
    expect(parseRange('10.0.0.5-10.0.0.9')).toEqual([parseIPv4('10.0.0.5'), parseIPv4('10.0.0.9')]);
    expect(() => parseRange('10.0.0.9-10.0.0.5')).toThrow('range ends before it starts');
  });
});
