import { describe, expect, it } from '@jest/globals';
import { cpuByName, cpuSeconds, statCpuSeconds } from './cpu.ts';

describe('statCpuSeconds', () => {
  it('adds user and system ticks, whatever the command name holds', () => {
    const stat = '4242 (a (b) c) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 150 0 0 20 0 1 0 100 0 0';
    expect(statCpuSeconds(stat)).toBe(4);
  });

  it('refuses what is not a stat line', () => {
    expect(() => statCpuSeconds('nonsense')).toThrow('not a /proc');
  });
});

describe('cpuSeconds', () => {
  it('reads this process, and nothing for a PID that does not exist', () => {
    expect(cpuSeconds(process.pid)).toBeGreaterThan(0);
    expect(cpuSeconds(2 ** 22 + 1)).toBeUndefined();
    expect([...cpuByName(new Map([['me', process.pid]])).keys()]).toEqual(['me']);
  });
});
