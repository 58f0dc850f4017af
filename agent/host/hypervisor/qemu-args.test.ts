import { describe, expect, it } from '@jest/globals';
import { probeQemuArgs } from './qemu-args.ts';

const guest = {
  kernel: '/g/vmlinuz',
  initrd: '/g/probe.cpio.gz',
  marker: 'MARK',
  kernelVersion: 'k 1',
};

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

describe('probeQemuArgs', () => {
  it('boots the probe guest under KVM with the host CPU, 128 MiB, the serial console on stdout and no reboot', () => {
    const args = probeQemuArgs(guest, 'kvm');
    expect(option(args, '-accel')).toBe('kvm');
    expect(option(args, '-cpu')).toBe('host');
    expect(option(args, '-m')).toBe('128');
    expect(option(args, '-kernel')).toBe('/g/vmlinuz');
    expect(option(args, '-initrd')).toBe('/g/probe.cpio.gz');
    expect(args).toContain('-nographic');
    expect(args).toContain('-no-reboot');
    const append = option(args, '-append') ?? '';
    expect(append.split(' ')).toEqual(expect.arrayContaining(['console=ttyS0', 'panic=-1']));
  });

  it('keeps the marker off the kernel command line, which the kernel echoes on the console', () => {
    expect(probeQemuArgs(guest, 'kvm').join(' ')).not.toContain('MARK');
  });

  it('under TCG asks for no host CPU model (only KVM has one)', () => {
    const args = probeQemuArgs(guest, 'tcg');
    expect(option(args, '-accel')).toBe('tcg');
    expect(args).not.toContain('-cpu');
  });
});
