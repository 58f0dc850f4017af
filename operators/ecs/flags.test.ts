import { describe, expect, it } from '@jest/globals';
import { parseFlags } from '../../controllers/manager/index.ts';
import { flagGroups } from '../manager/flags.ts';
import { operators } from '../manager/operators.ts';
import { configureEcs } from './flags.ts';

describe('the ECS operator’s flags', () => {
  const groups = flagGroups(operators);

  it('default to the hosts namespace and a 40 s grace period, beside every other flag', () => {
    expect(configureEcs(parseFlags([], groups))).toEqual({
      hostsNamespace: 'kcloud-hosts',
      hostGracePeriodMs: 40_000,
    });
    expect(
      configureEcs(parseFlags(['--hosts-namespace=hosts-a', '--host-grace-period=2s'], groups)),
    ).toEqual({ hostsNamespace: 'hosts-a', hostGracePeriodMs: 2_000 });
  });

  it('refuse a bad namespace or duration, naming the flag', () => {
    expect(() => configureEcs(parseFlags(['--hosts-namespace=Hosts'], groups))).toThrow(
      '--hosts-namespace must be a namespace name, not "Hosts"',
    );
    expect(() => configureEcs(parseFlags(['--host-grace-period=40'], groups))).toThrow(
      /--host-grace-period must be a duration/,
    );
  });
});
