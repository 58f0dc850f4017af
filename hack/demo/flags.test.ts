import { describe, expect, it } from '@jest/globals';
import { flagValue, leaderLease, managerFlags, splitFlags } from './flags.ts';

describe('MANAGER_FLAGS and AGENT_FLAGS', () => {
  it('split into words as a shell splits them', () => {
    expect(splitFlags('')).toEqual([]);
    expect(splitFlags('  --resync-period=30s   --log-level=debug ')).toEqual([
      '--resync-period=30s',
      '--log-level=debug',
    ]);
    expect(splitFlags(`--namespace 'team a' --x="b \\"c\\"" d\\ e ''`)).toEqual([
      '--namespace',
      'team a',
      '--x=b "c"',
      'd e',
      '',
    ]);
  });

  it('refuse an unterminated quote', () => {
    expect(() => splitFlags("--identity='x")).toThrow(/unterminated '/);
  });

  it('read a flag in both of its forms, the last one winning', () => {
    expect(flagValue(['--identity=a'], 'identity')).toBe('a');
    expect(flagValue(['--identity', 'b'], 'identity')).toBe('b');
    expect(flagValue(['--identity=a', '--identity', 'b'], 'identity')).toBe('b');
    expect(flagValue(['--identity-x=a'], 'identity')).toBeUndefined();
  });

  it("give the manager an identity of the demo's own unless the user named one", () => {
    const own = managerFlags(['--resync-period=30s']);
    expect(own.flags[0]).toBe('--resync-period=30s');
    expect(own.flags[1]).toMatch(/^--identity=.+_demo_[0-9a-f]{8}$/);
    expect(own.lease?.identity).toBe(own.flags[1]?.slice('--identity='.length));
    expect(own.lease).toMatchObject({ namespace: 'kcloud-system', name: 'kcloud-manager' });

    const named = managerFlags(['--identity', 'me', '--leader-election-id=mine']);
    expect(named.flags).toEqual(['--identity', 'me', '--leader-election-id=mine']);
    expect(named.lease).toEqual({ namespace: 'kcloud-system', name: 'mine', identity: 'me' });
  });

  it('have no Lease to wait for without leader election', () => {
    expect(leaderLease(['--leader-elect=false'])).toBeUndefined();
  });
});
