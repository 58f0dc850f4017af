import { describe, expect, it } from '@jest/globals';
import type { HostObject } from '../api/index.ts';
import { computeHost, sameComputeHost } from './hosts.ts';

const host = (over: Partial<HostObject['status']> = {}, labels: Record<string, string> = {}) =>
  ({
    metadata: { name: 'h1', labels: { 'topology.kcloud.io/rack': 'r1', ...labels } },
    spec: {},
    status: {
      conditions: [
        { type: 'Ready', status: 'True', reason: 'x', message: '', lastTransitionTime: '' },
      ],
      allocatable: { vcpu: 16, memoryBytes: 64 * 1024 ** 3 },
      cpu: { arch: 'x86_64' },
      storagePools: [{ name: 'p1' }],
      ...over,
    },
  }) as unknown as HostObject;

describe('sameComputeHost', () => {
  it('holds two readings alike when only what the scheduler does not read changed', () => {
    const a = computeHost(host());
    const b = computeHost(host({ storagePools: [{ name: 'p1', availableBytes: 5 }] }));
    expect(sameComputeHost(a, b)).toBe(true);
  });

  it('tells apart readiness, room, architecture, labels and pools', () => {
    const a = computeHost(host());
    const notReady = host({
      conditions: [
        { type: 'Ready', status: 'False', reason: 'x', message: '', lastTransitionTime: '' },
      ],
    } as never);
    expect(sameComputeHost(a, computeHost(notReady))).toBe(false);
    expect(
      sameComputeHost(
        a,
        computeHost(host({ allocatable: { vcpu: 8, memoryBytes: 64 * 1024 ** 3 } })),
      ),
    ).toBe(false);
    expect(sameComputeHost(a, computeHost(host({ cpu: { arch: 'aarch64' } } as never)))).toBe(
      false,
    );
    expect(sameComputeHost(a, computeHost(host({}, { 'topology.kcloud.io/rack': 'r2' })))).toBe(
      false,
    );
    expect(sameComputeHost(a, computeHost(host({ storagePools: [{ name: 'p2' }] } as never)))).toBe(
      false,
    );
  });
});
