import { describe, expect, it } from '@jest/globals';
import type { SubnetObject } from '../api/index.ts';
import { subnetCounts } from './subnet-counts.ts';

const subnet = (name: string, ready: 'True' | 'False', deleting = false): SubnetObject => ({
  apiVersion: 'vpc.kcloud.io/v1alpha1',
  kind: 'Subnet',
  metadata: {
    name,
    namespace: 'ns',
    ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
  },
  spec: { vpcRef: { name: 'v' }, cidrBlock: '10.0.1.0/24' },
  status: {
    conditions: [
      {
        type: 'Ready',
        status: ready,
        reason: ready === 'True' ? 'Available' : 'SubnetOverlap',
        message: '',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ],
  },
});

describe('a VPC counts its Subnets', () => {
  it('all of them, and only the Ready ones that are not being deleted as ready', () => {
    expect(
      subnetCounts([
        subnet('a', 'True'),
        subnet('b', 'False'),
        subnet('c', 'True', true),
        { ...subnet('d', 'True'), status: {} },
      ]),
    ).toEqual({ subnets: 4, readySubnets: '1/4' });
    expect(subnetCounts([])).toEqual({ subnets: 0, readySubnets: '0/0' });
  });
});
