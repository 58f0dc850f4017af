import { describe, expect, it } from '@jest/globals';
import {
  kernelRelease,
  kernelVersionLabel,
  parseDependsOutput,
  parseShowVersion,
} from './kernel.ts';

describe('the kernel package', () => {
  it('is the one linux-image-amd64 depends on', () => {
    const out = 'linux-image-amd64\n  Depends: linux-image-6.1.0-57-amd64\n';
    expect(parseDependsOutput(out)).toBe('linux-image-6.1.0-57-amd64');
    expect(parseDependsOutput('linux-image-amd64\n')).toBeUndefined();
    // A virtual package apt cannot name a version of.
    expect(parseDependsOutput('  Depends: <linux-image-x>\n')).toBeUndefined();
  });

  it('has the candidate version apt-cache show gives', () => {
    const out =
      'Package: linux-image-6.1.0-57-amd64\nSource: linux-signed-amd64 (6.1.192+3)\nVersion: 6.1.192-3\nInstalled-Size: 1\n';
    expect(parseShowVersion(out)).toBe('6.1.192-3');
    expect(parseShowVersion('Package: x\n')).toBeUndefined();
  });

  it('names the kernel release its vmlinuz is named after', () => {
    expect(kernelRelease('linux-image-6.1.0-57-amd64')).toBe('6.1.0-57-amd64');
    expect(() => kernelRelease('linux-image-amd64')).toThrow(
      'does not look like a versioned linux-image package',
    );
    expect(() => kernelRelease('linux-image-../../x')).toThrow();
    expect(
      kernelVersionLabel({
        name: 'linux-image-6.1.0-57-amd64',
        version: '6.1.192-3',
        release: '6.1.0-57-amd64',
      }),
    ).toBe('linux-image-6.1.0-57-amd64 6.1.192-3');
  });
});
