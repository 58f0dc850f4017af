import { describe, expect, it } from '@jest/globals';
import { parseSystemId } from './chassis.ts';

describe('the chassis name from Open vSwitch', () => {
  it('is the system-id as ovs-vsctl prints it, quoted or not', () => {
    expect(parseSystemId('kcloud-2h-a\n')).toEqual({ chassis: 'kcloud-2h-a' });
    expect(parseSystemId('"4f0c9d3e-1b2a-4c5d-9e8f-0a1b2c3d4e5f"\n')).toEqual({
      chassis: '4f0c9d3e-1b2a-4c5d-9e8f-0a1b2c3d4e5f',
    });
    expect(parseSystemId('"node-7.rack2"')).toEqual({ chassis: 'node-7.rack2' });
  });

  it('is none when the system-id is not set', () => {
    expect(parseSystemId('')).toEqual({});
    expect(parseSystemId('\n')).toEqual({});
  });

  it('is never a name OVN would read as something else', () => {
    expect(parseSystemId('"hv1,hv2"')).toEqual({ unusable: expect.stringContaining('hv1,hv2') });
    expect(parseSystemId('"hv 1"')).toEqual({ unusable: expect.stringContaining('hv 1') });
    expect(parseSystemId('"unterminated')).toEqual({ unusable: expect.any(String) });
  });
});
