import { describe, expect, it } from '@jest/globals';
import type { LogicalSwitchPort } from '../../../../controllers/ovsdb/nb/tables.ts';
import { changedColumns, sameValue } from './columns.ts';

const port: LogicalSwitchPort = {
  _uuid: '6f1c3a5e-0000-4000-8000-000000000001',
  name: 'p',
  type: '',
  options: { a: '1' },
  addresses: ['0a:00:00:00:00:01 10.0.0.1', 'unknown'],
  port_security: [],
  mirror_rules: [],
  external_ids: { 'kcloud.io/uid': 'u' },
};

describe('column comparison', () => {
  it('compares sets without regard to order, and maps by entries', () => {
    expect(sameValue(['a', 'b'], ['b', 'a'])).toBe(true);
    expect(sameValue(['a', 'a'], ['a', 'b'])).toBe(false);
    expect(sameValue({ a: '1', b: '2' }, { b: '2', a: '1' })).toBe(true);
    expect(sameValue({ a: '1' }, { a: '1', b: '2' })).toBe(false);
    expect(sameValue({ a: '1' }, { b: '1' })).toBe(false);
    expect(sameValue(undefined, undefined)).toBe(true);
    expect(sameValue(undefined, 'x')).toBe(false);
    expect(sameValue([], {})).toBe(false);
  });

  it('reports only the managed columns that differ', () => {
    expect(
      changedColumns(port, {
        name: 'p',
        addresses: ['unknown', '0a:00:00:00:00:01 10.0.0.1'],
        external_ids: { 'kcloud.io/uid': 'u' },
      }),
    ).toBeUndefined();
    expect(
      changedColumns(port, {
        name: 'p',
        type: 'router',
        options: { a: '2' },
        external_ids: { 'kcloud.io/uid': 'u' },
      }),
    ).toEqual({ type: 'router', options: { a: '2' } });
  });

  it('treats an undefined optional column as one to clear', () => {
    expect(changedColumns(port, { dhcpv4_options: undefined })).toBeUndefined();
    expect(
      changedColumns(
        { ...port, dhcpv4_options: '6f1c3a5e-0000-4000-8000-000000000002' },
        {
          dhcpv4_options: undefined,
        },
      ),
    ).toStrictEqual({ dhcpv4_options: undefined });
  });
});
