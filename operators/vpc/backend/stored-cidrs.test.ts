import { describe, expect, it } from '@jest/globals';
import { ReconcileError } from '../../../controllers/external/index.ts';
import { requireNetworkCidr } from './stored-cidrs.ts';

function refusal(cidr: string): ReconcileError | undefined {
  try {
    requireNetworkCidr(cidr, 'rule ssh: remoteCIDR');
    return undefined;
  } catch (err) {
    return err as ReconcileError;
  }
}

describe('a stored CIDR reaches OVN only as the network it names', () => {
  it('lets networks, one host and anywhere through', () => {
    for (const cidr of ['0.0.0.0/0', '10.0.0.0/8', '10.0.2.0/24', '10.0.2.5/32']) {
      expect(refusal(cidr)).toBeUndefined();
    }
  });

  it('refuses host bits and other spellings, saying what to write', () => {
    const err = refusal('10.0.2.5/24');
    expect(err).toBeInstanceOf(ReconcileError);
    expect(err?.reason).toBe('CIDRHostBitsSet');
    expect(err?.retry).toBe(false);
    expect(err?.message).toBe(
      'rule ssh: remoteCIDR 10.0.2.5/24 has host bits set, which OVN would read as 10.0.2.0/24: write 10.0.2.5/32 for one host or 10.0.2.0/24 for the network',
    );
    expect(refusal('10.0.2.0/024')?.reason).toBe('CIDRHostBitsSet');
    expect(refusal('10.0.2.0')?.message).toBe('rule ssh: remoteCIDR 10.0.2.0 is not an IPv4 CIDR');
  });
});
