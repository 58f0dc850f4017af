import { describe, expect, it } from '@jest/globals';
import { hostView, sameHostView } from './hosts.ts';

const host = (
  ready: string,
  pools: { name: string; availableBytes?: number }[],
  cordoned = false,
) => ({
  metadata: { name: 'h1' },
  spec: { unschedulable: cordoned },
  status: { conditions: [{ type: 'Ready', status: ready }], storagePools: pools },
});

describe('sameHostView', () => {
  it('holds two views alike when readiness, cordon and pools are', () => {
    expect(
      sameHostView(
        hostView(host('True', [{ name: 'p', availableBytes: 10 }])),
        hostView(host('True', [{ name: 'p', availableBytes: 10 }])),
      ),
    ).toBe(true);
  });

  it('tells apart readiness, cordon, a pool and its free space', () => {
    const a = hostView(host('True', [{ name: 'p', availableBytes: 10 }]));
    expect(sameHostView(a, hostView(host('False', [{ name: 'p', availableBytes: 10 }])))).toBe(
      false,
    );
    expect(sameHostView(a, hostView(host('True', [{ name: 'p', availableBytes: 10 }], true)))).toBe(
      false,
    );
    expect(sameHostView(a, hostView(host('True', [{ name: 'q', availableBytes: 10 }])))).toBe(
      false,
    );
    expect(sameHostView(a, hostView(host('True', [{ name: 'p', availableBytes: 9 }])))).toBe(false);
    expect(sameHostView(a, hostView(host('True', [])))).toBe(false);
  });
});
