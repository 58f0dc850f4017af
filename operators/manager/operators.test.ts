import { describe, expect, it } from '@jest/globals';
import { operatorNames, selectOperators } from './operators.ts';

describe('--operators', () => {
  it('selects every registered operator by default', () => {
    expect(selectOperators(undefined)).toEqual([...operatorNames]);
    expect(selectOperators('all')).toEqual([...operatorNames]);
  });

  it('rejects an operator it does not host', () => {
    expect(() => selectOperators('vpc,nosuch')).toThrow(/unknown operator\(s\) .*nosuch/);
  });
});
