import { describe, expect, it } from '@jest/globals';
import { commandLine, defaultHeartbeatSeconds, parseOptions } from './options.ts';

describe('parseOptions', () => {
  it('defaults to 1,000 hosts and 10,000 instances at 100/s, the baseline as large', () => {
    expect(parseOptions([], '/repo')).toEqual({
      hosts: 1000,
      instances: 10000,
      rate: 100,
      baseline: 10000,
      heartbeatSeconds: 10,
      out: '/repo/docs/benchmarks.md',
      keep: false,
    });
  });

  it('takes a quick run’s sizes; the baseline follows the instances unless given', () => {
    expect(parseOptions(['--hosts=50', '--instances=500'], '/r')).toMatchObject({
      hosts: 50,
      instances: 500,
      baseline: 500,
    });
    expect(parseOptions(['--instances=500', '--baseline=100', '--keep'], '/r')).toMatchObject({
      baseline: 100,
      keep: true,
    });
    expect(parseOptions(['--scheduler-workers=16'], '/r')).toMatchObject({ schedulerWorkers: 16 });
    expect(() => parseOptions(['--scheduler-workers=0'], '/r')).toThrow(
      '--scheduler-workers must be a positive integer',
    );
  });

  it('keeps the heartbeats at 100 renewals a second at most, unless told', () => {
    expect(defaultHeartbeatSeconds(50)).toBe(10);
    expect(defaultHeartbeatSeconds(1000)).toBe(10);
    expect(defaultHeartbeatSeconds(5000)).toBe(50);
    expect(parseOptions(['--hosts=5000'], '/r').heartbeatSeconds).toBe(50);
    expect(parseOptions(['--hosts=5000', '--heartbeat-interval=20s'], '/r').heartbeatSeconds).toBe(
      20,
    );
  });

  it('refuses what is not a positive integer, and unknown flags', () => {
    expect(() => parseOptions(['--hosts=0'], '/r')).toThrow('--hosts must be a positive integer');
    expect(() => parseOptions(['--rate=1.5'], '/r')).toThrow('--rate');
    expect(() => parseOptions(['--instances=many'], '/r')).toThrow('--instances');
    expect(() => parseOptions(['--nics=5'], '/r')).toThrow();
  });

  it('repeats a run without where it wrote or what it kept', () => {
    expect(commandLine(['--hosts=50', '--out=/tmp/x.md', '--keep'])).toBe(
      'node bench/ecs-scale/main.ts --hosts=50',
    );
  });
});
