import { describe, expect, it } from '@jest/globals';
import { GiB, quantityBytes } from './storage-schema.ts';

describe('quantityBytes', () => {
  it.each([
    ['10Gi', 10 * GiB],
    ['1.5Ti', 1536 * GiB],
    ['1Ti', 1024 * GiB],
    ['10737418240', 10 * GiB],
    ['1e9', 1e9],
    ['2G', 2e9],
    [5 * GiB, 5 * GiB],
  ])('%s is %d bytes', (q, bytes) => {
    expect(quantityBytes(q)).toBe(bytes);
  });

  it.each(['1.1', '10Xi', '', 'Gi', '1500m'])('refuses %j', (q) => {
    expect(() => quantityBytes(q)).toThrow(q);
  });
});
