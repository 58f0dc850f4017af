import { describe, expect, it } from '@jest/globals';
import { hostNames, hostSelector } from './names.ts';

describe('the hosts an agent answers for', () => {
  it('are its own host, or N simulated hosts named after it', () => {
    expect(hostNames('node-1', 0)).toEqual(['node-1']);
    expect(hostNames('bench', 3)).toEqual(['bench-sim-1', 'bench-sim-2', 'bench-sim-3']);
  });

  it('select the objects bound to them by the scheduler’s label', () => {
    expect(hostSelector(['node-1'])).toBe('ecs.kcloud.io/host=node-1');
    expect(hostSelector(hostNames('b', 2))).toBe('ecs.kcloud.io/host in (b-sim-1,b-sim-2)');
    expect(() => hostSelector([])).toThrow('no hosts to select');
  });
});
