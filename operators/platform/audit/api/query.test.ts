import { describe, expect, it } from '@jest/globals';
import type { AuditRecord } from '../records.ts';
import { selected } from '../view.ts';
import { BadRequest, fieldSelector, viewFilter } from './query.ts';

const record = (over: Partial<AuditRecord>): AuditRecord => ({
  time: '2026-12-06T10:00:00.000000Z',
  user: 'alice',
  verb: 'create',
  resource: 'secrets',
  namespace: 'fin',
  name: 'db',
  code: 201,
  result: 'Allowed',
  auditID: 'a-1',
  ...over,
});
const now = new Date('2026-12-06T12:00:00Z');

describe('the audit API’s query', () => {
  it('keeps the records of the namespace in the path, and every one without it', () => {
    const f = viewFilter({}, 'fin', now);
    expect(selected(record({}), f)).toBe(true);
    expect(selected(record({ namespace: 'hr' }), f)).toBe(false);
    expect(selected(record({ namespace: undefined }), f)).toBe(false);
    expect(selected(record({ namespace: undefined }), viewFilter({}, '', now))).toBe(true);
  });

  it('selects by field, =, == and !=, every term at once', () => {
    const s = fieldSelector('user=alice,verb!=get, objectName==db');
    expect(s(record({}))).toBe(true);
    expect(s(record({ verb: 'get' }))).toBe(false);
    expect(s(record({ user: 'bob' }))).toBe(false);
    expect(s(record({ name: 'other' }))).toBe(false);
    expect(fieldSelector('metadata.name=a-1')(record({}))).toBe(true);
    expect(fieldSelector('')(record({}))).toBe(true);
  });

  it('takes a time window and writes only, as the CLI does', () => {
    const f = viewFilter({ since: '3h', until: '2026-12-06T10:30:00Z', writes: 'true' }, '', now);
    expect(selected(record({}), f)).toBe(true);
    expect(selected(record({ time: '2026-12-06T08:59:00Z' }), f)).toBe(false);
    expect(selected(record({ time: '2026-12-06T10:30:00Z' }), f)).toBe(false);
    expect(selected(record({ verb: 'get' }), f)).toBe(false);
  });

  it('refuses what it cannot mean, naming the fields there are', () => {
    const bad = (query: Record<string, unknown>) => () => viewFilter(query, '', now);
    expect(bad({ fieldSelector: 'colour=red' })).toThrow(BadRequest);
    expect(bad({ fieldSelector: 'colour=red' })).toThrow(
      '"colour" is not a field of AuditRecord (user, verb, resource, objectName, result, metadata.name, metadata.namespace)',
    );
    expect(bad({ fieldSelector: 'user' })).toThrow('"user" is not field=value');
    expect(bad({ labelSelector: 'a=b' })).toThrow('audit records have no labels');
    expect(bad({ since: 'yesterday' })).toThrow('since must be a duration');
    expect(bad({ writes: 'yes' })).toThrow('writes: expected true or false, got yes');
    expect(bad({ since: ['1h', '2h'] })).toThrow('since: expected one value');
    // kubectl sends an empty label selector with every list.
    expect(bad({ labelSelector: '' })).not.toThrow();
  });
});
