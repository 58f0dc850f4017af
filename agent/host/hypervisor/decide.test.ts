import { describe, expect, it } from '@jest/globals';
import { decide, lastConsoleLine } from './decide.ts';

const hungConsole =
  'SeaBIOS (version 1.16.2)\r\nBooting from ROM...\r\nProbing EDD (edd=off to disable)... ok\r\n\x1bc\x1b[?7l\x1b[2J';

describe('decide', () => {
  it('answers kvm only when the marker appeared, and caches it', () => {
    expect(decide({ kind: 'marker', elapsedMs: 1234, console: '...' }, 10_000)).toEqual({
      decision: {
        hypervisor: 'kvm',
        reason: 'a probe guest booted under KVM reached its init in 1.2 s',
      },
      cacheable: true,
    });
  });

  it('answers tcg on a timeout, naming the time allowed and where the guest stopped', () => {
    const d = decide({ kind: 'timeout', elapsedMs: 10_001, console: hungConsole }, 10_000);
    expect(d.cacheable).toBe(true);
    expect(d.decision.hypervisor).toBe('tcg');
    expect(d.decision.reason).toBe(
      'KVM is not usable: the probe guest did not reach init within 10.0 s under KVM (last console line: "Probing EDD (edd=off to disable)... ok")',
    );
  });

  it('says so when a timed-out guest printed nothing', () => {
    expect(
      decide({ kind: 'timeout', elapsedMs: 5000, console: '' }, 5000).decision.reason,
    ).toContain('no console output');
  });

  it('answers tcg with QEMU own words when it refused the accelerator, and asks again next time', () => {
    const d = decide(
      {
        kind: 'exited',
        code: 1,
        signal: null,
        stderr:
          'Could not access KVM kernel module: Permission denied\nqemu-system-x86_64: -accel kvm: failed to initialize kvm: Permission denied\n',
        console: '',
      },
      10_000,
    );
    expect(d).toEqual({
      decision: {
        hypervisor: 'tcg',
        reason:
          'qemu refused the KVM accelerator: it exited with code 1: Could not access KVM kernel module: Permission denied; qemu-system-x86_64: -accel kvm: failed to initialize kvm: Permission denied',
      },
      cacheable: false,
    });
  });

  it('answers tcg when the guest stopped (a panic with panic=-1 and -no-reboot) before its init', () => {
    const d = decide(
      {
        kind: 'exited',
        code: 0,
        signal: null,
        stderr: '',
        console: 'Kernel panic - not syncing: VFS\r\n',
      },
      10_000,
    );
    expect(d.cacheable).toBe(true);
    expect(d.decision).toEqual({
      hypervisor: 'tcg',
      reason:
        'KVM is not usable: the probe guest stopped under KVM before reaching init (last console line: "Kernel panic - not syncing: VFS")',
    });
  });

  it('answers tcg when QEMU could not start, and asks again next time', () => {
    expect(decide({ kind: 'spawn-error', message: 'spawn qemu EACCES' }, 10_000)).toEqual({
      decision: { hypervisor: 'tcg', reason: 'could not start qemu: spawn qemu EACCES' },
      cacheable: false,
    });
  });
});

describe('lastConsoleLine', () => {
  it('skips terminal escapes and blank lines', () => {
    expect(lastConsoleLine(hungConsole)).toBe('Probing EDD (edd=off to disable)... ok');
    expect(lastConsoleLine('\r\n \x1b[2J\r\n')).toBeUndefined();
  });
});
