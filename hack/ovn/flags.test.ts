import { describe, expect, it } from '@jest/globals';
import { parseUpFlags } from './flags.ts';

describe('the flags of `ovn.sh up`', () => {
  it('leaves unset what is not given, so the previous run decides', () => {
    expect(parseUpFlags([])).toEqual({});
  });

  it('turns the data plane on or off and names the chassis', () => {
    expect(parseUpFlags(['--data-plane', '--chassis=hv1'])).toEqual({
      dataPlane: true,
      chassis: 'hv1',
    });
    expect(parseUpFlags(['--no-data-plane'])).toEqual({ dataPlane: false });
  });

  it('rejects anything else', () => {
    expect(parseUpFlags(['--dataplane'])).toBeUndefined();
    expect(parseUpFlags(['up'])).toBeUndefined();
  });
});
