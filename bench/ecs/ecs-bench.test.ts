import { describe, expect, it } from '@jest/globals';
import { bareArgs } from './bare-run.ts';
import { parseOptions, waves } from './options.ts';
import { commandLines, ratioAt, stepsCell } from './report.ts';

describe('the ECS bench', () => {
  it('boots the runs in waves, the last one shorter', () => {
    expect(waves(5, 2)).toEqual([[0, 1], [2, 3], [4]]);
    expect(waves(2, 3)).toEqual([[0, 1]]);
  });

  it('refuses more VMs at once than the machine can boot side by side', () => {
    expect(parseOptions([])).toMatchObject({ instances: 10, wave: 2 });
    expect(() => parseOptions(['--wave=4'])).toThrow(/--wave is at most 3/);
    expect(() => parseOptions(['--instances=0'])).toThrow(/--instances must be a positive/);
  });

  it('launches bare QEMU with the agent’s command line less -S and -daemonize', () => {
    expect(bareArgs(['-S', '-m', '256', '-daemonize', '-pidfile', '/r/qemu.pid'])).toEqual([
      '-m',
      '256',
      '-pidfile',
      '/r/qemu.pid',
    ]);
  });

  it('compares kcloud with bare QEMU at the same nearest-rank percentile', () => {
    const kcloud = [10_000, 12_000, 30_000];
    const bare = [5_000, 8_000, 10_000];
    expect(ratioAt(kcloud, bare, 50)).toBe(1.5);
    expect(ratioAt(kcloud, bare, 95)).toBe(3);
  });

  it('lists an instance’s steps in the order they happened, at p50', () => {
    const sample = (totalMs: number, qemuRunning: number) => ({
      name: 'vm',
      totalMs,
      steps: {
        scheduled: 100,
        addressKnown: 150,
        volumeAvailable: 1_000,
        attached: 1_200,
        qemuRunning,
      },
    });
    expect(stepsCell([sample(9_000, 2_000), sample(11_000, 2_500)])).toBe(
      'scheduled 0.10 s → address known 0.15 s → boot volume Available 1.00 s → attached 1.20 s → QEMU running 2.00 s → first reply 9.00 s',
    );
  });

  it('writes a command line an option and its value to a line, quoting JSON', () => {
    expect(commandLines(['qemu', '-m', '256', '-nodefaults', '-device', '{"a":1}'])).toBe(
      `qemu \\\n  -m 256 \\\n  -nodefaults \\\n  -device '{"a":1}'`,
    );
  });
});
