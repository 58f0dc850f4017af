import { describe, expect, it } from '@jest/globals';
import { operationsFor } from './operations.ts';
import { isRepeatable } from './repeatable.ts';
import { parseSchema } from './schema.ts';
import { testSchemaJson, type TestTables } from './test-schema.ts';

const ops = operationsFor<TestTables>();
const schema = parseSchema(testSchemaJson);
const absent = ops.wait('Logical_Switch', {
  where: [['name', '==', 'sw']],
  columns: ['name'],
  until: '==',
  rows: [],
  timeout: 0,
});

describe('isRepeatable', () => {
  it('takes an insert whose unique index the row sets, or one guarded by a wait for absence', () => {
    expect(isRepeatable([ops.insert('Logical_Switch_Port', { name: 'p' })], schema)).toBe(true);
    expect(isRepeatable([absent, ops.insert('Logical_Switch', { name: 'sw' })], schema)).toBe(true);
  });

  it('refuses an insert that a repeat would make twice', () => {
    // The index column is not set, the table has no index, or the wait is not for absence.
    expect(isRepeatable([ops.insert('Logical_Switch_Port', { tag: 5 })], schema)).toBe(false);
    expect(isRepeatable([ops.insert('Logical_Switch', { name: 'sw' })], schema)).toBe(false);
    const present = ops.wait('Logical_Switch', {
      where: [['name', '==', 'other']],
      columns: ['name'],
      until: '!=',
      rows: [],
    });
    expect(isRepeatable([present, ops.insert('Logical_Switch', { name: 'sw' })], schema)).toBe(
      false,
    );
  });

  it('takes set and map mutations, updates and deletes; refuses arithmetic', () => {
    const where = [['name', '==', 'sw']] as const;
    expect(
      isRepeatable(
        [
          ops.mutate('Logical_Switch', where, [['ports', 'insert', []]]),
          ops.mutate('Logical_Switch', where, [['external_ids', 'delete', ['k']]]),
          ops.update('Logical_Switch', where, { name: 'sw2' }),
          ops.delete('Logical_Switch', where),
          ops.comment('x'),
        ],
        schema,
      ),
    ).toBe(true);
    expect(
      isRepeatable([ops.mutate('Meter', [['count', '==', 1]], [['count', '+=', 1]])], schema),
    ).toBe(false);
  });
});
