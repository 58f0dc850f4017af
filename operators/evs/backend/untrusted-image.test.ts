import { describe, expect, it } from '@jest/globals';
import { inspectLimits, limitedCommand } from './untrusted-image.ts';

describe('untrusted images', () => {
  it('run qemu-img under prlimit, as one argument array', () => {
    expect(limitedCommand(inspectLimits, 'qemu-img', ['info', '--output=json', '/tmp/x'])).toEqual([
      'prlimit',
      ['--as=1073741824', '--cpu=30', '--', 'qemu-img', 'info', '--output=json', '/tmp/x'],
    ]);
  });
});
