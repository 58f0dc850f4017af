import { describe, expect, it } from '@jest/globals';
import type { Operator } from '../../controllers/manager/index.ts';
import { flagGroups, helpText, managerFlags, mergeFlags, parseFlags } from './flags.ts';
import { operators } from './operators.ts';

const fake = (name: string, flags: Operator['flags']): Operator => ({
  name,
  rbac: [],
  flags,
  configure: (values) => values,
  register: () => undefined,
});

describe('the manager’s command line', () => {
  const groups = flagGroups(operators);

  it('takes its own flags and every operator’s, with their defaults', () => {
    const values = parseFlags(['--operators=vpc', '--ovn-nb=tcp:127.0.0.1:6641'], groups);
    expect(values).toMatchObject({
      operators: 'vpc',
      'ovn-nb': 'tcp:127.0.0.1:6641',
      'resync-period': '10m',
      'health-addr': '127.0.0.1:8081',
    });
    expect(typeof values['notes-dir']).toBe('string');
  });

  it('refuses a flag no one declares, and a stray argument', () => {
    expect(() => parseFlags(['--nosuch=1'], groups)).toThrow("Unknown option '--nosuch'");
    expect(() => parseFlags(['vpc'], groups)).toThrow(/Unexpected argument 'vpc'/);
  });

  it('refuses an operator flag the manager also declares, naming both owners', () => {
    expect(() =>
      mergeFlags(flagGroups([fake('x', { namespace: { type: 'string', description: 'd' } })])),
    ).toThrow('--namespace is declared by both kcloud-manager and the x operator');
  });

  it('refuses a flag two operators declare', () => {
    const flag = { 'x-dir': { type: 'string', description: 'd' } } as const;
    expect(() => mergeFlags(flagGroups([fake('x', flag), fake('y', flag)]))).toThrow(
      '--x-dir is declared by both the x operator and the y operator',
    );
  });

  it('prints every flag in --help, grouped by who reads it, with defaults', () => {
    const help = helpText(groups);
    const names = groups.flatMap((g) => Object.keys(g.flags));
    expect(names).toEqual(expect.arrayContaining(Object.keys(managerFlags)));
    for (const name of names) expect(help).toMatch(new RegExp(`^  --${name}[= ]`, 'm'));
    expect(help).toMatch(/^the vpc operator:\n {2}--ovn-nb=VALUE/m);
    expect(help).toMatch(/--resync-period=VALUE +.*\(default 10m\)$/m);
    expect(help).toMatch(/^the example operator:\n {2}--notes-dir=VALUE/m);
  });

  it('lets a later operator add a flag without the manager knowing it', () => {
    const values = parseFlags(
      ['--x-dir=/tmp/x'],
      flagGroups([fake('x', { 'x-dir': { type: 'string', description: 'd' } })]),
    );
    expect(values['x-dir']).toBe('/tmp/x');
  });
});
