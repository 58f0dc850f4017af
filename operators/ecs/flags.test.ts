import { describe, expect, it } from '@jest/globals';
import { parseFlags } from '../../controllers/manager/index.ts';
import { flagGroups } from '../manager/flags.ts';
import { operators } from '../manager/operators.ts';
import { configureEcs, defaultSchedulerWorkers } from './flags.ts';

describe('the ECS operator’s flags', () => {
  const groups = flagGroups(operators);

  it('default to the hosts namespace, a 40 s grace period, a 5 min evacuation grace and spreading, beside every other flag', () => {
    expect(configureEcs(parseFlags([], groups))).toEqual({
      hostsNamespace: 'kcloud-hosts',
      hostGracePeriodMs: 40_000,
      evacuationGraceMs: 300_000,
      schedulingPolicy: 'Spread',
      schedulerWorkers: defaultSchedulerWorkers,
    });
    expect(
      configureEcs(
        parseFlags(
          [
            '--hosts-namespace=hosts-a',
            '--host-grace-period=2s',
            '--evacuation-grace=30s',
            '--scheduling-policy=Pack',
            '--scheduler-workers=16',
          ],
          groups,
        ),
      ),
    ).toEqual({
      hostsNamespace: 'hosts-a',
      hostGracePeriodMs: 2_000,
      evacuationGraceMs: 30_000,
      schedulingPolicy: 'Pack',
      schedulerWorkers: 16,
    });
    expect(() => configureEcs(parseFlags(['--scheduling-policy=pack'], groups))).toThrow(
      '--scheduling-policy takes Spread or Pack, not "pack"',
    );
  });

  it('refuse a bad namespace or duration, naming the flag', () => {
    expect(() => configureEcs(parseFlags(['--hosts-namespace=Hosts'], groups))).toThrow(
      '--hosts-namespace must be a namespace name, not "Hosts"',
    );
    expect(() => configureEcs(parseFlags(['--host-grace-period=40'], groups))).toThrow(
      /--host-grace-period must be a duration/,
    );
    for (const bad of ['0', '-2', 'many', '1.5']) {
      expect(() => configureEcs(parseFlags([`--scheduler-workers=${bad}`], groups))).toThrow(
        `--scheduler-workers takes a whole number from 1 to 999, not "${bad}"`,
      );
    }
  });
});
