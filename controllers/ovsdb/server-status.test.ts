import { describe, expect, it } from '@jest/globals';
import { applyServerUpdate, unusableBecause } from './server-status.ts';

const uuid = '00000000-0000-4000-8000-000000000001';

describe('the _Server row of our database', () => {
  it('reads a monitor reply and folds modifies and a delete into it', () => {
    const first = applyServerUpdate(undefined, {
      Database: {
        [uuid]: {
          initial: {
            name: 'OVN_Northbound',
            model: 'clustered',
            connected: true,
            leader: true,
            cid: ['uuid', 'c1d00000-0000-4000-8000-000000000000'],
            index: 12,
          },
        },
      },
    });
    expect(first).toEqual({
      name: 'OVN_Northbound',
      model: 'clustered',
      connected: true,
      leader: true,
      cid: 'c1d00000-0000-4000-8000-000000000000',
      index: 12,
    });
    const stepped = applyServerUpdate(first, {
      Database: { [uuid]: { modify: { leader: false, index: 14 } } },
    });
    expect(stepped).toMatchObject({ leader: false, connected: true, index: 14 });
    expect(applyServerUpdate(stepped, { Database: { [uuid]: { delete: null } } })).toBe(undefined);
  });

  it('lets writes go to a standalone database or a connected leader only', () => {
    const base = { name: 'OVN_Northbound', connected: true, leader: true };
    expect(unusableBecause('OVN_Northbound', { ...base, model: 'standalone' })).toBe(undefined);
    expect(unusableBecause('OVN_Northbound', { ...base, model: 'clustered' })).toBe(undefined);
    expect(unusableBecause('OVN_Northbound', { ...base, model: 'clustered', leader: false })).toBe(
      "this member of OVN_Northbound is not the cluster's leader",
    );
    expect(
      unusableBecause('OVN_Northbound', { ...base, model: 'clustered', connected: false }),
    ).toBe('this member of OVN_Northbound is not connected to its cluster');
    expect(unusableBecause('OVN_Northbound', undefined)).toBe(
      'the server does not serve OVN_Northbound',
    );
  });
});
