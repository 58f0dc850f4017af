import { describe, expect, it } from '@jest/globals';
import type { EIPObject } from '../api/index.ts';
import { boundLabel, holderOf } from './target.ts';

const eip = (name: string, created: string, boundTo?: string): EIPObject => ({
  apiVersion: 'eip.kcloud.io/v1alpha1',
  kind: 'EIP',
  metadata: { name, namespace: 'ns', uid: `uid-${name}`, creationTimestamp: created },
  spec: { poolRef: { name: 'p' }, binding: { networkInterfaceRef: { name: 'web' } } },
  ...(boundTo ? { status: { boundTo } } : {}),
});

describe('which EIP has a target', () => {
  it('names the target as status shows it, and nothing when unbound', () => {
    expect(boundLabel(eip('a', '2026-01-01T00:00:00Z'))).toBe('NetworkInterface/web');
    expect(boundLabel({ ...eip('a', ''), spec: { poolRef: { name: 'p' } } })).toBeUndefined();
    expect(
      boundLabel({
        ...eip('a', ''),
        spec: { poolRef: { name: 'p' }, binding: { natGatewayRef: { name: 'gw' } } },
      }),
    ).toBe('NATGateway/gw');
  });

  it('keeps it with the EIP already bound to it, however old the others are', () => {
    const older = eip('older', '2026-01-01T00:00:00Z');
    const bound = eip('bound', '2026-02-01T00:00:00Z', 'NetworkInterface/web');
    expect(holderOf([older, bound], 'NetworkInterface/web')?.metadata.name).toBe('bound');
  });

  it('else gives it to the oldest, then by name, whatever the order they are listed in', () => {
    const a = eip('a', '2026-01-02T00:00:00Z');
    const b = eip('b', '2026-01-01T00:00:00Z');
    const c = eip('c', '2026-01-01T00:00:00Z');
    expect(holderOf([a, c, b], 'NetworkInterface/web')?.metadata.name).toBe('b');
    expect(holderOf([c, a, b], 'NetworkInterface/web')?.metadata.name).toBe('b');
    expect(holderOf([], 'NetworkInterface/web')).toBeUndefined();
  });
});
