import { describe, expect, it } from '@jest/globals';
import type { LoadBalancerObject } from '../api/index.ts';
import { desiredRows, ownerKeys, weightedBackends, type ResolvedMember } from './desired.ts';

const lb = (spec: Partial<LoadBalancerObject['spec']>): LoadBalancerObject => ({
  apiVersion: 'slb.kcloud.io/v1alpha1',
  kind: 'LoadBalancer',
  metadata: { name: 'web', namespace: 'team', uid: 'u1' },
  spec: {
    subnetRef: { name: 's1' },
    listeners: [{ name: 'http', protocol: 'TCP', port: 80, backendPool: 'p' }],
    backendPools: [{ name: 'p', members: [] }],
    ...spec,
  },
});

const member = (ip: string, extra: Partial<ResolvedMember> = {}): ResolvedMember => ({
  pool: 'p',
  target: ip,
  ip,
  port: 8080,
  drain: false,
  weight: 1,
  ...extra,
});

describe('desiredRows', () => {
  it('writes one row per listener with every serving member, tagged with its owner', () => {
    const rows = desiredRows({
      lb: lb({}),
      vip: '10.0.1.100',
      members: new Map([['p', [member('10.0.1.2'), member('10.0.1.3')]]]),
    });
    expect(rows).toEqual([
      {
        name: 'slb-u1-http',
        protocol: 'tcp',
        vips: { '10.0.1.100:80': '10.0.1.2:8080,10.0.1.3:8080' },
        options: {},
        external_ids: {
          [ownerKeys.kind]: 'LoadBalancer',
          [ownerKeys.uid]: 'u1',
          [ownerKeys.namespace]: 'team',
          [ownerKeys.name]: 'web',
          [ownerKeys.listener]: 'http',
        },
      },
    ]);
  });

  it('names each backend once per share: weights divided by their common divisor', () => {
    const rows = (weights: number[]) =>
      desiredRows({
        lb: lb({}),
        vip: '10.0.1.100',
        members: new Map([
          ['p', weights.map((weight, i) => member(`10.0.1.${String(i + 2)}`, { weight }))],
        ]),
      })[0]?.vips['10.0.1.100:80'];
    expect(rows([1, 2, 3])).toBe(
      '10.0.1.2:8080,10.0.1.3:8080,10.0.1.3:8080,10.0.1.4:8080,10.0.1.4:8080,10.0.1.4:8080',
    );
    expect(rows([10, 20, 30])).toBe(rows([1, 2, 3]));
    expect(rows([5, 5])).toBe('10.0.1.2:8080,10.0.1.3:8080');
  });

  it('gives a backend two members name both their weights', () => {
    expect(
      weightedBackends([
        { ip: '10.0.1.2', port: 80, weight: 1 },
        { ip: '10.0.1.2', port: 80, weight: 1 },
        { ip: '10.0.1.3', port: 80, weight: 1 },
      ]),
    ).toEqual(['10.0.1.2:80', '10.0.1.2:80', '10.0.1.3:80']);
    expect(weightedBackends([])).toEqual([]);
  });

  it('leaves drained members out, and names each backend once', () => {
    const [row] = desiredRows({
      lb: lb({}),
      vip: '10.0.1.100',
      members: new Map([
        ['p', [member('10.0.1.2'), member('10.0.1.2'), member('10.0.1.3', { drain: true })]],
      ]),
    });
    expect(row?.vips).toEqual({ '10.0.1.100:80': '10.0.1.2:8080' });
  });

  it('hashes on the source address and keeps affinity as OVN options say', () => {
    const [row] = desiredRows({
      lb: lb({
        listeners: [
          {
            name: 'dns',
            protocol: 'UDP',
            port: 53,
            backendPool: 'p',
            algorithm: 'SourceIPHash',
            sessionPersistence: { timeoutSeconds: 120 },
          },
        ],
      }),
      vip: '10.0.1.100',
      members: new Map([['p', [member('10.0.1.2', { port: 5353 })]]]),
    });
    expect(row?.protocol).toBe('udp');
    expect(row?.selection_fields).toEqual(['ip_src']);
    expect(row?.options).toEqual({ affinity_timeout: '120' });
  });

  it('checks health through each member’s logical port from the monitor address', () => {
    const [row] = desiredRows({
      lb: lb({
        backendPools: [
          {
            name: 'p',
            members: [],
            healthCheck: {
              intervalSeconds: 2,
              timeoutSeconds: 1,
              healthyThreshold: 1,
              unhealthyThreshold: 4,
            },
          },
        ],
      }),
      vip: '10.0.1.100',
      members: new Map([
        [
          'p',
          [
            member('10.0.1.2', { logicalPort: 'lsp-a' }),
            member('10.0.1.3', { logicalPort: 'lsp-b', drain: true }),
          ],
        ],
      ]),
      monitorSourceIp: '10.0.1.9',
    });
    expect(row?.health_checks).toEqual([
      {
        vip: '10.0.1.100:80',
        options: { interval: '2', timeout: '1', success_count: '1', failure_count: '4' },
      },
    ]);
    expect(row?.ip_port_mappings).toEqual({ '10.0.1.2': 'lsp-a:10.0.1.9' });
  });

  it('reaches each listener at the EIP too, health-checked there as well', () => {
    const [row] = desiredRows({
      lb: lb({ backendPools: [{ name: 'p', members: [], healthCheck: {} }] }),
      vip: '10.0.1.100',
      members: new Map([['p', [member('10.0.1.2', { logicalPort: 'lsp-a' })]]]),
      monitorSourceIp: '10.0.1.9',
      eip: '198.51.100.20',
    });
    expect(row?.vips).toEqual({
      '10.0.1.100:80': '10.0.1.2:8080',
      '198.51.100.20:80': '10.0.1.2:8080',
    });
    expect(row?.health_checks?.map((h) => h.vip)).toEqual(['10.0.1.100:80', '198.51.100.20:80']);
  });
});
