import { describe, expect, it } from '@jest/globals';
import { memoryMiB } from './flags.ts';

describe('--vm-max-memory', () => {
  it('takes 0 or whole Mi, Gi or Ti up to 4Ti, in MiB', () => {
    expect(memoryMiB('64Gi')).toBe(65536);
    expect(memoryMiB('4096Mi')).toBe(4096);
    expect(memoryMiB('4Ti')).toBe(4 * 1024 * 1024);
    expect(memoryMiB('0')).toBe(0);
    for (const bad of ['', '64', '64G', '1.5Gi', '-1Gi', '0Gi', '5Ti', '64gi']) {
      expect(memoryMiB(bad)).toBeUndefined();
    }
  });
});
