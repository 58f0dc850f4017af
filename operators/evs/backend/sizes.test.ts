import { describe, expect, it } from '@jest/globals';
import { isStorageError } from './errors.ts';
import { checkAtLeast, checkGrow, MiB, roundUpToMiB } from './sizes.ts';

function reason(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isStorageError(err) ? err.reason : 'not a StorageError';
  }
  return undefined;
}

describe('sizes', () => {
  it('round up to whole MiB', () => {
    expect(roundUpToMiB(1)).toBe(MiB);
    expect(roundUpToMiB(MiB)).toBe(MiB);
    expect(roundUpToMiB(1.5e9)).toBe(1431 * MiB);
  });

  it.each([0, -1, 1.5, Number.NaN, 2 ** 60])('refuse %p bytes', (bytes) => {
    expect(reason(() => roundUpToMiB(bytes))).toBe('InvalidSize');
  });

  it('refuse a shrink and a copy smaller than its source, and nothing else', () => {
    expect(
      reason(() => {
        checkGrow(2 * MiB, MiB, 'volume a');
      }),
    ).toBe('ShrinkRefused');
    expect(
      reason(() => {
        checkGrow(MiB, MiB, 'volume a');
      }),
    ).toBeUndefined();
    expect(
      reason(() => {
        checkAtLeast(MiB, 2 * MiB, 'image i');
      }),
    ).toBe('InvalidSize');
    expect(
      reason(() => {
        checkAtLeast(2 * MiB, 2 * MiB, 'image i');
      }),
    ).toBeUndefined();
  });
});
