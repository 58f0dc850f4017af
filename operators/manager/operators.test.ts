import { describe, expect, it } from '@jest/globals';
import { flagGroups, parseFlags } from './flags.ts';
import { operators, selectOperators } from './operators.ts';

describe('--operators', () => {
  it('selects every product operator by default, never a test-only one', () => {
    const all = operators.filter((o) => !o.testOnly).map((o) => o.name);
    expect(selectOperators(undefined).map((o) => o.name)).toEqual(all);
    expect(selectOperators('all').map((o) => o.name)).toEqual(all);
    expect(selectOperators('all').some((o) => o.name === 'example')).toBe(false);
  });

  it('selects a named subset, test-only operators included', () => {
    expect(selectOperators('example').map((o) => o.name)).toEqual(['example']);
  });

  it('rejects an operator it does not host', () => {
    expect(() => selectOperators('example,nosuch')).toThrow(/unknown operator\(s\) nosuch/);
  });
});

describe('operator flags', () => {
  it("configure every operator from the manager's own parse of its defaults (the OVN ones given)", () => {
    const groups = flagGroups(operators);
    const values = parseFlags(['--ovn-nb=tcp:127.0.0.1:6641'], groups);
    for (const op of operators) {
      expect(() => op.configure(values)).not.toThrow();
    }
  });
});
