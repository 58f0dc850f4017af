// The QEMU command line of a probe boot. Serial console on stdout (-nographic), no NIC (no
// option ROM to load), and the guest may not reboot: a panic (panic=-1) ends QEMU at once
// instead of looping.
import type { ProbeGuest } from './types.ts';

export type Accelerator = 'kvm' | 'tcg';

export function probeQemuArgs(guest: ProbeGuest, accel: Accelerator): string[] {
  return [
    '-name',
    'kcloud-hypervisor-probe',
    '-accel',
    accel,
    // -cpu host exists only under KVM; TCG keeps QEMU's default model.
    ...(accel === 'kvm' ? ['-cpu', 'host'] : []),
    '-m',
    '128',
    '-nographic',
    '-no-reboot',
    '-nic',
    'none',
    '-kernel',
    guest.kernel,
    '-initrd',
    guest.initrd,
    '-append',
    'console=ttyS0 panic=-1',
  ];
}
