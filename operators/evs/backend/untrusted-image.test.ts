import { describe, expect, it } from '@jest/globals';
import { CommandError } from './exec.ts';
import { hitLimit, inspectLimits, limitedCommand } from './untrusted-image.ts';

describe('untrusted images', () => {
  it('run qemu-img under prlimit, as one argument array', () => {
    expect(limitedCommand(inspectLimits, 'qemu-img', ['info', '--output=json', '/tmp/x'])).toEqual([
      'prlimit',
      ['--as=1073741824', '--cpu=30', '--', 'qemu-img', 'info', '--output=json', '/tmp/x'],
    ]);
  });
});

describe('resource limits', () => {
  const failed = (signal: string | null, stderr = '') =>
    new CommandError('prlimit', { stderr, aborted: false, notInstalled: false }, { signal });

  it('tell a limit hit from another failure', () => {
    expect(hitLimit(failed('SIGXCPU'))).toBe(true);
    expect(hitLimit(failed('SIGKILL'))).toBe(true);
    expect(
      hitLimit(failed(null, 'qemu-img: Failed to allocate memory: Cannot allocate memory')),
    ).toBe(true);
    expect(
      hitLimit(failed(null, "qemu-img: Could not open 'x': Image is not in qcow2 format")),
    ).toBe(false);
  });
});
