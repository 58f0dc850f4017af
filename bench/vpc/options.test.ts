import { describe, expect, it } from '@jest/globals';
import { parseOptions } from './options.ts';

describe('parseOptions', () => {
  it('defaults to the sizes the benchmark reports', () => {
    const o = parseOptions([], '/repo');
    expect(o).toMatchObject({
      subnets: 50,
      nics: 5000,
      securityGroups: 10,
      rules: 200,
      creates: 16,
      sample: 30,
      sgRounds: 10,
      nbPorts: 5000,
      nbRounds: 3,
      groups: 200,
      groupReferences: 3,
      out: '/repo/docs/benchmarks.md',
      keep: false,
    });
  });

  it('takes smaller sizes for a quick run', () => {
    expect(parseOptions(['--nics=200', '--rules=0'], '/repo')).toMatchObject({
      nics: 200,
      rules: 0,
    });
  });

  it('runs only the many-groups phase when asked', () => {
    expect(parseOptions(['--only=groups', '--groups=50'], '/r')).toMatchObject({
      only: 'groups',
      groups: 50,
    });
    expect(parseOptions([], '/r').only).toBeUndefined();
    expect(parseOptions(['--only=scale'], '/r').only).toBe('scale');
    expect(parseOptions(['--status-batch-period=2s'], '/r').statusBatchPeriod).toBe('2s');
    expect(() => parseOptions(['--only=port-up'], '/r')).toThrow('--only');
  });

  it('installs the finalizer policy unless told not to, and paces NICs only in the scale phase', () => {
    expect(parseOptions([], '/r').createFinalizer).toBe(true);
    expect(parseOptions(['--no-create-finalizer'], '/r').createFinalizer).toBe(false);
    expect(parseOptions(['--only=scale', '--nic-rate=100'], '/r').nicRate).toBe(100);
    expect(parseOptions([], '/r').nicRate).toBeUndefined();
    expect(() => parseOptions(['--nic-rate=100'], '/r')).toThrow('--nic-rate goes with');
    expect(() => parseOptions(['--only=scale', '--nic-rate=0'], '/r')).toThrow('--nic-rate');
  });

  it('refuses sizes the objects cannot have', () => {
    expect(() => parseOptions(['--nics=0'], '/r')).toThrow('--nics');
    expect(() => parseOptions(['--rules=2001'], '/r')).toThrow('does not fit');
    expect(() => parseOptions(['--sample=200'], '/r')).toThrow('--sample');
    expect(() => parseOptions(['--nics=100000000'], '/r')).toThrow('do not fit');
    expect(() => parseOptions(['--nope'], '/r')).toThrow();
  });
});
