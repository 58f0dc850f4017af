import { describe, expect, it } from '@jest/globals';
import type { NetworkACLObject, RouteTableObject, SubnetObject } from '../api/index.ts';
import { mainRouteTable, networkAclOf, routeTableOf } from './bindings.ts';

const meta = (name: string, created: string, extra: object = {}) => ({
  name,
  namespace: 'ns',
  uid: `uid-${name}`,
  creationTimestamp: created,
  ...extra,
});

const subnet = (name: string, vpc = 'v'): SubnetObject => ({
  apiVersion: 'vpc.kcloud.io/v1alpha1',
  kind: 'Subnet',
  metadata: meta(name, '2026-01-01T00:00:00Z'),
  spec: { vpcRef: { name: vpc }, cidrBlock: '10.0.1.0/24' },
});

const table = (
  name: string,
  created: string,
  subnets?: string[],
  extra = {},
): RouteTableObject => ({
  apiVersion: 'vpc.kcloud.io/v1alpha1',
  kind: 'RouteTable',
  metadata: meta(name, created, extra),
  spec: {
    vpcRef: { name: 'v' },
    routes: [],
    ...(subnets ? { subnetRefs: subnets.map((n) => ({ name: n })) } : {}),
  },
});

const acl = (name: string, created: string, subnets: string[]): NetworkACLObject => ({
  apiVersion: 'vpc.kcloud.io/v1alpha1',
  kind: 'NetworkACL',
  metadata: meta(name, created),
  spec: { subnetRefs: subnets.map((n) => ({ name: n })), rules: [] },
});

describe('which RouteTable a Subnet uses', () => {
  it('is the oldest table naming it, then the name that sorts first', () => {
    const tables = [
      table('b', '2026-01-02T00:00:00Z', ['s']),
      table('c', '2026-01-01T00:00:00Z', ['s']),
      table('a', '2026-01-02T00:00:00Z', ['s']),
    ];
    expect(routeTableOf(subnet('s'), tables)?.metadata.name).toBe('c');
    expect(
      routeTableOf(subnet('s'), tables.slice(0, 1).concat(tables[2] ?? []))?.metadata.name,
    ).toBe('a');
  });

  it('falls back to the main table of its own VPC only', () => {
    const tables = [
      table('main', '2026-01-02T00:00:00Z'),
      table('main-2', '2026-01-03T00:00:00Z', []),
      table('named', '2026-01-01T00:00:00Z', ['other']),
    ];
    expect(routeTableOf(subnet('s'), tables)?.metadata.name).toBe('main');
    expect(mainRouteTable({ namespace: 'ns', name: 'v' }, tables)?.metadata.name).toBe('main');
    expect(routeTableOf(subnet('s', 'elsewhere'), tables)).toBeUndefined();
  });

  it('ignores tables being deleted', () => {
    const tables = [
      table('old', '2026-01-01T00:00:00Z', ['s'], { deletionTimestamp: '2026-02-01T00:00:00Z' }),
      table('new', '2026-01-02T00:00:00Z', ['s']),
    ];
    expect(routeTableOf(subnet('s'), tables)?.metadata.name).toBe('new');
  });
});

describe('which NetworkACL a Subnet uses', () => {
  it('is the oldest one naming it', () => {
    const acls = [
      acl('late', '2026-01-02T00:00:00Z', ['s']),
      acl('early', '2026-01-01T00:00:00Z', ['s', 't']),
    ];
    expect(networkAclOf(subnet('s'), acls)?.metadata.name).toBe('early');
    expect(networkAclOf(subnet('u'), acls)).toBeUndefined();
  });
});
