import { describe, expect, it } from '@jest/globals';
import { bareArgs } from './bare-run.ts';
import { parseOptions, waves } from './options.ts';
import { addNetworkSteps, parseOvnEvents, type VmRun } from './ovn-events.ts';
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
      mac: '0a:00:00:00:00:01',
      startedAt: 0,
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

  it('reads when ovn-controller bound each VM’s port and leased it an address, by MAC', () => {
    const log = [
      '2026-12-05T15:40:54.553Z|00026|binding|INFO|Claiming lport kcloud-eni-74d2 for this chassis.',
      '2026-12-05T15:40:54.553Z|00027|binding|INFO|kcloud-eni-74d2: Claiming 0a:47:b8:43:ad:4b 10.20.1.5',
      '2026-12-05T15:41:02.607Z|00006|pinctrl(ovn_pinctrl0)|INFO|DHCPOFFER 0a:47:b8:43:ad:4b 10.20.1.5',
      '2026-12-05T15:41:02.643Z|00007|pinctrl(ovn_pinctrl0)|INFO|DHCPACK 0a:47:b8:43:ad:4b 10.20.1.5',
      '2026-12-05T15:42:00.000Z|00008|pinctrl(ovn_pinctrl0)|INFO|DHCPACK 0a:47:b8:43:ad:4b 10.20.1.5',
    ].join('\n');
    const start = Date.parse('2026-12-05T15:40:54.000Z');
    const runs: VmRun[] = [
      { mac: '0a:47:b8:43:ad:4b', startedAt: start },
      { mac: '0a:47:b8:43:ad:4b', startedAt: start + 60_000 },
      { mac: '0a:00:00:00:00:09', startedAt: start },
    ];
    addNetworkSteps(runs, parseOvnEvents(log));
    expect(runs.map((r) => r.network)).toEqual([
      { portBound: 553, leased: 8_643 },
      { portBound: undefined, leased: 6_000 },
      { portBound: undefined, leased: undefined },
    ]);
  });
});
