import { describe, expect, it } from '@jest/globals';
import { parseLddOutput, probeInitScript, probeMarker } from './probe-initramfs.ts';

describe('the probe initramfs', () => {
  it('has an init that prints the marker and powers off at once', () => {
    const lines = probeInitScript(probeMarker).trim().split('\n');
    expect(lines[0]).toBe('#!/bin/busybox sh');
    expect(lines).toContain(`/bin/busybox echo '${probeMarker}'`);
    expect(lines.at(-1)).toBe('/bin/busybox poweroff -f');
  });

  it('holds the shared objects ldd lists, the loader included', () => {
    const out = [
      '\tlinux-vdso.so.1 (0x00007fd382c6a000)',
      '\tlibresolv.so.2 => /lib/x86_64-linux-gnu/libresolv.so.2 (0x00007fd382b8a000)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fd3829a8000)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007fd382c6c000)',
    ].join('\n');
    expect(parseLddOutput(out)).toEqual([
      '/lib/x86_64-linux-gnu/libresolv.so.2',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
    expect(parseLddOutput('\tnot a dynamic executable\n')).toEqual([]);
  });
});
