import { describe, expect, it } from '@jest/globals';
import {
  cpuCell,
  percentilesCell,
  reconcilesCell,
  renderSection,
  sectionHeading,
  type ScaleResult,
} from './report.ts';

const result: ScaleResult = {
  date: '2026-12-06',
  machine: '2 cores',
  node: 'v24.21.0',
  kubernetes: 'v1.36.3',
  command: 'node bench/ecs-scale/main.ts --hosts=50 --instances=4',
  minutes: 1.5,
  hosts: 50,
  instances: 4,
  rate: 100,
  hostsReadyMs: 6600,
  schedulerWorkers: 4,
  cpuOvercommit: 16,
  heartbeatSeconds: 10,
  kcloud: {
    createMs: [5, 6, 7, 40],
    refused: 0,
    runningMs: [300, 400, 1500],
    boundMs: [100, 110, 120],
    boundToRunningMs: [200, 290, 1380],
    notRunning: [['Pending, Scheduled InsufficientCPU', 1]],
    spanMs: 2100,
  },
  baseline: { count: 4, createMs: [3, 4, 5, 9], refused: 0 },
  decisions: { count: 4, spanMs: 30, perSecond: 100, peakPerSecond: 4 },
  reconciles: {
    instance: { count: 8, seconds: 0.4, queuedMs: 1500 },
    volume: { count: 4, seconds: 0.1, queuedMs: 3 },
  },
  sentBy: { manager: 10, agent: 107 },
  requests: {
    byKind: { 'instances/status PATCH': 8, 'volumes POST': 4 },
    total: 12,
    heartbeats: 105,
  },
  memory: {
    managerReadyBytes: 100 * 2 ** 20,
    managerPeakBytes: 150 * 2 ** 20,
    managerEndBytes: 140 * 2 ** 20,
    agentPeakBytes: 90 * 2 ** 20,
  },
  cpu: {
    idle: { ms: 15_000, seconds: { 'kube-apiserver': 3, etcd: 0.3 } },
    baseline: { ms: 10_000, seconds: { 'kube-apiserver': 5, etcd: 1 } },
    kcloud: { ms: 21_000, seconds: { manager: 4.2, 'kube-apiserver': 8.4 } },
  },
};

describe('the section', () => {
  it('is one per number of hosts, so runs at two scales keep both', () => {
    expect(sectionHeading(1000)).toBe('ECS control plane at scale: 1,000 simulated hosts');
    expect(sectionHeading(5000)).not.toBe(sectionHeading(1000));
  });

  it('gives percentiles nearest-rank, in ms below a second and in s above', () => {
    expect(percentilesCell([300, 400, 1500])).toBe('400 ms / 1.50 s / 1.50 s / 1.50 s');
    expect(percentilesCell([])).toBe('– / – / – / –');
  });

  it('gives CPU as seconds and cores over the span, most first', () => {
    expect(cpuCell(result.cpu.kcloud)).toBe(
      'kube-apiserver 8.4 s (0.40 cores); manager 4.2 s (0.20 cores)',
    );
  });

  it('gives reconciles per controller with their mean time', () => {
    expect(reconcilesCell(result.reconciles)).toBe(
      'instance 8 (50 ms each, 1.50 s queued); volume 4 (25 ms each, 3 ms queued)',
    );
  });

  it('puts the measured side, the baseline and what was stuck in one table', () => {
    const s = renderSection(result);
    expect(s).toContain('Measured on 2026-12-06: 2 cores; Node v24.21.0; kube-apiserver v1.36.3');
    expect(s).toContain('`node bench/ecs-scale/main.ts --hosts=50 --instances=4`');
    expect(s).toContain('**no network interfaces**');
    expect(s).toContain('4 scheduler workers, `--scheduler-workers`');
    const row = (start: string) => s.split('\n').find((l) => l.startsWith(`| ${start}`)) ?? '';
    expect(row('kcloud: 4 Instances created at 100/s, create → Running')).toContain(
      '**400 ms / 1.50 s / 1.50 s / 1.50 s**',
    );
    expect(row('kcloud: Instances Running / created')).toContain('3 / 4 (0)');
    expect(row('kcloud: not Running')).toContain('1 Pending, Scheduled InsufficientCPU');
    expect(row('Baseline: 4 Instance creates')).toContain(
      '**4 ms / 9 ms / 9 ms / 9 ms** (0 refused)',
    );
    expect(row('Scheduling decisions')).toContain('100/s (4)');
    expect(row('API requests per Instance')).toContain(
      'total 3.00; instances/status PATCH 2.00; volumes POST 1.00',
    );
    // 105 Lease requests over the 21 s of the kcloud phase.
    expect(row('Heartbeats meanwhile')).toContain('5/s');
    expect(row('Manager RSS')).toContain('100 MiB / **150 MiB** / 140 MiB');
    expect(row('Agent RSS')).toContain('90 MiB');
    expect(row('… sent by the manager / by the agent')).toContain('2.50 / 0.50');
    expect(row('… of which create → bound')).toContain('110 ms / 120 ms / 120 ms / 120 ms');
    expect(row('kcloud: first create → last Instance Running')).toContain('2.1 s (1.4/s)');
    // The heartbeats alone: 3 s in 15 s, 0.2 cores, so 4.2 s of the phase's 21 s; the other
    // 4.2 s over 3 Running, and over 12 + 3 requests.
    expect(row('kube-apiserver CPU per Instance')).toContain(
      '1.40 s per Instance with the heartbeats’ share (0.20 cores, 4 s of the 8 s) taken out: 140.0 cores at 100 Instances/s; 280000 µs per kcloud request',
    );
    expect(row('CPU with only the heartbeats going on (15 s')).toContain(
      'kube-apiserver 3.0 s (0.20 cores); etcd 0.3 s (0.02 cores)',
    );
  });
});
