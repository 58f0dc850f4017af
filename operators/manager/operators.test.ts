import { describe, expect, it } from '@jest/globals';
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
