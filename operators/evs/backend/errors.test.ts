import { describe, expect, it } from '@jest/globals';
import { ReconcileError } from '../../../controllers/external/index.ts';
import { isStorageError, StorageError } from './errors.ts';

describe('StorageError', () => {
  it('is a ReconcileError whose retry says whether trying again unchanged can help', () => {
    const busy = new StorageError('Busy', 'in use');
    expect(busy).toBeInstanceOf(ReconcileError);
    expect(busy.retry).toBe(true);
    expect(new StorageError('PoolUnreachable', 'x').retry).toBe(true);
    for (const reason of [
      'ShrinkRefused',
      'ChecksumMismatch',
      'FormatMismatch',
      'UnsafeImage',
    ] as const) {
      expect(new StorageError(reason, 'x').retry).toBe(false);
    }
    expect(isStorageError(busy, 'Busy')).toBe(true);
    expect(isStorageError(busy, 'NotFound')).toBe(false);
    expect(isStorageError(new Error('x'))).toBe(false);
  });
});
