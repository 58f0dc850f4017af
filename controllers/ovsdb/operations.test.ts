import { describe, expect, it } from '@jest/globals';
import {
  assert,
  comment,
  deleteRows,
  describeOperation,
  insert,
  mutate,
  operationToWire,
  operationsFor,
  resultFromWire,
  select,
  update,
  wait,
  type InsertResult,
  type SelectResult,
  type Condition,
  type CountResult,
  type GenericRow,
  type TransactionResults,
} from './operations.ts';
import { testSchema, type LogicalSwitch, type TestTables } from './test-schema.ts';

const u1 = '2f1c0b86-3b8e-4f57-9c53-1b1bd1fd1c11';
const u2 = '9a7e3f40-5d0b-4a3c-8c1e-7b1f0e6a2d22';
const ops = operationsFor<TestTables>();
const wire = (op: Parameters<typeof operationToWire>[0]) => operationToWire(op, testSchema);

describe('operation builders', () => {
  it('insert: a row with a uuid-name; references by name become named-uuid', () => {
    expect(
      wire(
        insert<LogicalSwitch>(
          'Logical_Switch',
          { name: 'sw0', ports: ['port_0', u1], external_ids: { vpc: 'a' } },
          'sw0',
        ),
      ),
    ).toEqual({
      op: 'insert',
      table: 'Logical_Switch',
      'uuid-name': 'sw0',
      row: {
        name: 'sw0',
        ports: [
          'set',
          [
            ['named-uuid', 'port_0'],
            ['uuid', u1],
          ],
        ],
        external_ids: ['map', [['vpc', 'a']]],
      },
    });
    expect(wire(ops.insert('Logical_Switch_Port', { name: 'p', tag: 7 }))).toEqual({
      op: 'insert',
      table: 'Logical_Switch_Port',
      row: { name: 'p', tag: 7 },
    });
    expect(() => insert('Logical_Switch', {}, 'has-dash')).toThrow('uuid-name "has-dash"');
  });

  it('select: conditions with typed values, and the columns to return', () => {
    expect(
      wire(
        ops.select(
          'Logical_Switch',
          [
            ['name', '!=', 'sw1'],
            ['ports', 'includes', u1],
            ['external_ids', 'includes', { vpc: 'a' }],
            ['_uuid', '==', u2],
            ['copp', '==', undefined],
          ],
          ['name', '_uuid'],
        ),
      ),
    ).toEqual({
      op: 'select',
      table: 'Logical_Switch',
      where: [
        ['name', '!=', 'sw1'],
        ['ports', 'includes', ['set', [['uuid', u1]]]],
        ['external_ids', 'includes', ['map', [['vpc', 'a']]]],
        ['_uuid', '==', ['uuid', u2]],
        ['copp', '==', ['set', []]],
      ],
      columns: ['name', '_uuid'],
    });
    expect(wire(select('Meter', []))).toEqual({ op: 'select', table: 'Meter', where: [] });
  });

  it('update: clears an optional column set to undefined, skips undefined elsewhere', () => {
    expect(
      wire(
        ops.update('Logical_Switch_Port', [['name', '==', 'p']], {
          tag: undefined,
          up: true,
          addresses: undefined,
          options: {},
        }),
      ),
    ).toEqual({
      op: 'update',
      table: 'Logical_Switch_Port',
      where: [['name', '==', 'p']],
      row: { tag: ['set', []], up: true, options: ['map', []] },
    });
  });

  it('mutate: set insert/delete, map insert, map delete by keys or by pairs, arithmetic', () => {
    expect(
      wire(
        ops.mutate(
          'Logical_Switch',
          [['name', '==', 'sw0']],
          [
            ['ports', 'insert', ['p0', 'p1']],
            ['ports', 'delete', u1],
            ['external_ids', 'insert', { a: '1' }],
            ['external_ids', 'delete', ['b', 'c']],
            ['external_ids', 'delete', { d: '4' }],
          ],
        ),
      ),
    ).toEqual({
      op: 'mutate',
      table: 'Logical_Switch',
      where: [['name', '==', 'sw0']],
      mutations: [
        [
          'ports',
          'insert',
          [
            'set',
            [
              ['named-uuid', 'p0'],
              ['named-uuid', 'p1'],
            ],
          ],
        ],
        ['ports', 'delete', ['set', [['uuid', u1]]]],
        ['external_ids', 'insert', ['map', [['a', '1']]]],
        ['external_ids', 'delete', ['set', ['b', 'c']]],
        ['external_ids', 'delete', ['map', [['d', '4']]]],
      ],
    });
    expect(
      wire(
        ops.mutate(
          'Meter',
          [],
          [
            ['count', '+=', 2],
            ['levels', '*=', 3],
            ['bands', 'delete', [1, 2]],
          ],
        ),
      ),
    ).toMatchObject({
      mutations: [
        ['count', '+=', 2],
        ['levels', '*=', 3],
        ['bands', 'delete', ['set', [1, 2]]],
      ],
    });
    expect(() => wire(mutate('Meter', [], [['count', 'insert', 1]]))).toThrow(
      'Meter.count insert: insert and delete apply to sets and maps',
    );
    expect(() => wire(mutate('Meter', [], [['flags', '+=', 1]]))).toThrow(
      'arithmetic does not apply to maps',
    );
  });

  it('delete, wait, comment and assert', () => {
    expect(wire(deleteRows('Logical_Switch', [['name', '==', 'sw0']]))).toEqual({
      op: 'delete',
      table: 'Logical_Switch',
      where: [['name', '==', 'sw0']],
    });
    expect(
      wire(
        wait<LogicalSwitch>('Logical_Switch', {
          where: [['name', '==', 'sw0']],
          columns: ['ports'],
          until: '==',
          rows: [{ ports: [u1] }],
          timeout: 0,
        }),
      ),
    ).toEqual({
      op: 'wait',
      table: 'Logical_Switch',
      where: [['name', '==', 'sw0']],
      columns: ['ports'],
      until: '==',
      rows: [{ ports: ['set', [['uuid', u1]]] }],
      timeout: 0,
    });
    expect(wire(comment('kcloud: create vpc a'))).toEqual({
      op: 'comment',
      comment: 'kcloud: create vpc a',
    });
    expect(wire(assert('vpc_lock'))).toEqual({ op: 'assert', lock: 'vpc_lock' });
    expect(() => assert('vpc-lock')).toThrow('lock "vpc-lock" must match');
  });

  it('checks tables, columns, functions and values against the schema', () => {
    expect(() => wire(insert('Nope', {}))).toThrow('database Test_DB has no table Nope');
    expect(() => wire(insert('Logical_Switch', { nmae: 'x' }))).toThrow(
      'table Logical_Switch has no column nmae',
    );
    expect(() => wire(insert('Logical_Switch', { _uuid: u1 }))).toThrow(
      'Logical_Switch._uuid is set by the server',
    );
    const badFunction = ['name', '~=', 'x'] as unknown as Condition<GenericRow>;
    expect(() => wire(select('Logical_Switch', [badFunction]))).toThrow(
      'unknown condition function "~="',
    );
    expect(() => wire(select('Logical_Switch', [['name', '==', 5]]))).toThrow(
      'Logical_Switch.name ==: expected string, got 5',
    );
    expect(() => wire(select('Logical_Switch', [], ['name', 'nope']))).toThrow(
      'table Logical_Switch has no column nope',
    );
  });

  it('rejects wrong table names, columns and value types at compile time', () => {
    // @ts-expect-error: no such table
    ops.insert('Logical_Swtich', {});
    // @ts-expect-error: no such column
    ops.insert('Logical_Switch', { nmae: 'x' });
    // @ts-expect-error: ports holds uuids, not numbers
    ops.insert('Logical_Switch', { ports: [1] });
    // @ts-expect-error: not one of the enum's values
    ops.update('Meter', [], { unit: 'mbps' });
    // @ts-expect-error: a condition's value has the column's type
    ops.select('Logical_Switch_Port', [['tag', '==', 'seven']]);
    // @ts-expect-error: arithmetic does not apply to a set of strings
    ops.mutate('Logical_Switch', [], [['ports', '+=', 1]]);
    // @ts-expect-error: a scalar string column has nothing to insert into
    ops.mutate('Logical_Switch', [], [['name', 'insert', 'x']]);
    expect(true).toBe(true);
  });
});

describe('results', () => {
  it('converts each kind of result to JS', () => {
    expect(
      resultFromWire(insert('Logical_Switch', {}), { uuid: ['uuid', u1] }, testSchema),
    ).toEqual({
      uuid: u1,
    });
    expect(
      resultFromWire(
        select('Logical_Switch', []),
        {
          rows: [
            {
              _uuid: ['uuid', u1],
              name: 'sw0',
              ports: ['uuid', u2],
              copp: ['set', []],
              external_ids: ['map', [['k', 'v']]],
            },
          ],
        },
        testSchema,
      ),
    ).toEqual({
      rows: [{ _uuid: u1, name: 'sw0', ports: [u2], external_ids: { k: 'v' } }],
    });
    expect(resultFromWire(update('Meter', [], {}), { count: 3 }, testSchema)).toEqual({ count: 3 });
    expect(resultFromWire(comment('x'), {}, testSchema)).toEqual({});
  });

  it('types the results of a transaction from its operations', () => {
    const txn = [
      ops.insert('Logical_Switch', { name: 'a' }),
      ops.select('Logical_Switch', [], ['name']),
      ops.delete('Logical_Switch', []),
      ops.comment('x'),
    ] as const;
    const wireResults = [{ uuid: ['uuid', u1] }, { rows: [{ name: 'a' }] }, { count: 1 }, {}];
    const results = txn.map((op, i) =>
      resultFromWire(op, wireResults[i], testSchema),
    ) as TransactionResults<typeof txn>;
    const inserted: InsertResult = results[0];
    const selected: SelectResult<Pick<LogicalSwitch, 'name'>> = results[1];
    const deleted: CountResult = results[2];
    expect([inserted.uuid, selected.rows[0]?.name, deleted.count, results[3]]).toEqual([
      u1,
      'a',
      1,
      {},
    ]);
    // @ts-expect-error: the select returns only the columns asked for
    const ports: unknown = selected.rows[0]?.ports;
    expect(ports).toBeUndefined();
  });

  it('names the failing operation, or the commit', () => {
    expect(describeOperation(insert('Logical_Switch', {}), 2)).toBe(
      'operation 2 (insert Logical_Switch)',
    );
    expect(describeOperation(comment('x'), 0)).toBe('operation 0 (comment)');
    expect(describeOperation(undefined, 3)).toBe('commit');
  });
});
