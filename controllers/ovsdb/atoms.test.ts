import { describe, expect, it } from '@jest/globals';
import {
  atomFromWire,
  atomToWire,
  defaultValue,
  isUuid,
  uuidToWire,
  valueFromWire,
  valueToWire,
  zeroUuid,
} from './atoms.ts';
import { columnKind, parseSchema, type ColumnType } from './schema.ts';
import { testSchema } from './test-schema.ts';

const u1 = '2f1c0b86-3b8e-4f57-9c53-1b1bd1fd1c11';
const u2 = '9a7e3f40-5d0b-4a3c-8c1e-7b1f0e6a2d22';

function col(table: string, column: string): ColumnType {
  const t = testSchema.tables[table];
  const c = t?.columns[column];
  if (!c) throw new Error(`no ${table}.${column}`);
  return c.type;
}

describe('parseSchema', () => {
  it('expands every shorthand of RFC 7047 into one form', () => {
    expect(testSchema.name).toBe('Test_DB');
    expect(testSchema.version).toBe('1.2.3');
    expect(col('Logical_Switch', 'name')).toEqual({ key: { type: 'string' }, min: 1, max: 1 });
    expect(col('Logical_Switch', 'ports')).toEqual({
      key: { type: 'uuid', refTable: 'Logical_Switch_Port', refType: 'strong' },
      min: 0,
      max: Infinity,
    });
    expect(col('Meter', 'unit').key.enum).toEqual(['kbps', 'pktps']);
    expect(col('Meter', 'only').key.enum).toEqual(['drop']);
    expect(col('Logical_Switch_Port', 'tag').key).toEqual({
      type: 'integer',
      minInteger: 1,
      maxInteger: 4095,
    });
    expect(testSchema.tables.Logical_Switch_Port?.indexes).toEqual([['name']]);
    expect(testSchema.tables.Logical_Switch_Port?.isRoot).toBe(false);
    expect(testSchema.tables.Meter?.maxRows).toBe(5);
  });

  it('gives a reference without refType the default, strong', () => {
    const s = parseSchema({
      name: 'X',
      tables: { A: { columns: { r: { type: { key: { type: 'uuid', refTable: 'A' } } } } } },
    });
    expect(s.tables.A?.columns.r?.type.key.refType).toBe('strong');
    expect(s.version).toBe('');
  });

  it('refuses unknown atomic types', () => {
    expect(() =>
      parseSchema({ name: 'X', tables: { A: { columns: { c: { type: 'float' } } } } }),
    ).toThrow('column A.c: unknown atomic type "float"');
  });

  it('sorts columns into kinds by min, max and value', () => {
    expect(columnKind(col('Logical_Switch', 'name'))).toBe('scalar');
    expect(columnKind(col('Logical_Switch', 'copp'))).toBe('optional');
    expect(columnKind(col('Logical_Switch', 'ports'))).toBe('set');
    expect(columnKind(col('Meter', 'levels'))).toBe('set');
    expect(columnKind(col('Logical_Switch', 'external_ids'))).toBe('map');
  });
});

describe('atoms', () => {
  it('writes a UUID as ["uuid", …] and a uuid-name as ["named-uuid", …]', () => {
    expect(isUuid(u1)).toBe(true);
    expect(isUuid('port0')).toBe(false);
    expect(uuidToWire(u1)).toEqual(['uuid', u1]);
    expect(uuidToWire(u1.toUpperCase())).toEqual(['uuid', u1.toUpperCase()]);
    expect(uuidToWire('new_port_0')).toEqual(['named-uuid', 'new_port_0']);
    expect(() => uuidToWire('0bad-name')).toThrow('neither a UUID nor a uuid-name');
  });

  it('checks the JS type of each atomic type, both ways', () => {
    expect(atomToWire(5, { type: 'integer' }, 'c')).toBe(5);
    expect(() => atomToWire(5.5, { type: 'integer' }, 'T.c')).toThrow(
      'T.c: expected integer, got 5.5',
    );
    expect(atomToWire(5.5, { type: 'real' }, 'c')).toBe(5.5);
    expect(() => atomToWire('5', { type: 'real' }, 'c')).toThrow('expected real, got "5"');
    expect(atomToWire(false, { type: 'boolean' }, 'c')).toBe(false);
    expect(() => atomToWire(undefined, { type: 'string' }, 'c')).toThrow(
      'expected string, got undefined',
    );
    expect(atomFromWire(['uuid', u1], { type: 'uuid' }, 'c')).toBe(u1);
    expect(() => atomFromWire(u1, { type: 'uuid' }, 'c')).toThrow('expected uuid from the server');
    expect(() => atomFromWire('1', { type: 'integer' }, 'c')).toThrow(
      'expected integer from the server',
    );
  });
});

describe('values', () => {
  const cases: { column: [string, string]; js: unknown; wire: unknown }[] = [
    { column: ['Logical_Switch', 'name'], js: 'sw0', wire: 'sw0' },
    { column: ['Meter', 'rate'], js: 2.5, wire: 2.5 },
    { column: ['Meter', 'fair'], js: true, wire: true },
    { column: ['Logical_Switch', 'copp'], js: u1, wire: ['uuid', u1] },
    { column: ['Logical_Switch', 'copp'], js: undefined, wire: ['set', []] },
    { column: ['Logical_Switch_Port', 'tag'], js: 42, wire: 42 },
    {
      column: ['Logical_Switch', 'ports'],
      js: [u1, u2],
      wire: [
        'set',
        [
          ['uuid', u1],
          ['uuid', u2],
        ],
      ],
    },
    { column: ['Logical_Switch', 'ports'], js: [], wire: ['set', []] },
    {
      column: ['Logical_Switch', 'external_ids'],
      js: { owner: 'vpc-a', 'kcloud.io/id': '{"x":1}' },
      wire: [
        'map',
        [
          ['owner', 'vpc-a'],
          ['kcloud.io/id', '{"x":1}'],
        ],
      ],
    },
    {
      column: ['Meter', 'bands'],
      js: { 1: 0.5, 20: 3 },
      wire: [
        'map',
        [
          [1, 0.5],
          [20, 3],
        ],
      ],
    },
    {
      column: ['Meter', 'flags'],
      js: { true: 'yes', false: 'no' },
      wire: [
        'map',
        [
          [true, 'yes'],
          [false, 'no'],
        ],
      ],
    },
    { column: ['Meter', 'limits'], js: { burst: 10 }, wire: ['map', [['burst', 10]]] },
  ];

  it.each(cases)('converts $column.1 = $js both ways', ({ column, js, wire }) => {
    const type = col(...column);
    expect(valueToWire(js, type, column.join('.'))).toEqual(wire);
    expect(valueFromWire(wire, type, column.join('.'))).toEqual(js);
  });

  it('reads a one-element set sent as a bare atom, and an optional value sent as a set', () => {
    expect(valueFromWire('10.0.0.1', col('Logical_Switch_Port', 'addresses'), 'c')).toEqual([
      '10.0.0.1',
    ]);
    expect(valueFromWire(['uuid', u1], col('Logical_Switch', 'ports'), 'c')).toEqual([u1]);
    expect(valueFromWire(['set', [7]], col('Logical_Switch_Port', 'tag'), 'c')).toBe(7);
    expect(() =>
      valueFromWire(['set', [1, 2]], col('Logical_Switch_Port', 'tag'), 'T.tag'),
    ).toThrow('T.tag: more than one value');
  });

  it('takes a single element for a set and named uuids inside sets', () => {
    expect(valueToWire('p0', col('Logical_Switch', 'ports'), 'c')).toEqual([
      'set',
      [['named-uuid', 'p0']],
    ]);
    expect(valueToWire(null, col('Logical_Switch_Port', 'up'), 'c')).toEqual(['set', []]);
  });

  it('refuses map keys that do not fit the key type', () => {
    expect(() => valueToWire({ one: 1 }, col('Meter', 'bands'), 'Meter.bands')).toThrow(
      'Meter.bands: map key "one" is not a number',
    );
    expect(() => valueToWire({ yes: 'x' }, col('Meter', 'flags'), 'Meter.flags')).toThrow(
      'map key "yes" is not a boolean',
    );
    expect(() => valueToWire(['a'], col('Meter', 'flags'), 'Meter.flags')).toThrow(
      'expected a map (an object)',
    );
    expect(() => valueToWire({ a: 1 }, col('Logical_Switch', 'external_ids'), 'LS.ids')).toThrow(
      'LS.ids[a]: expected string, got 1',
    );
  });

  it('knows the default of every kind of column', () => {
    expect(defaultValue(col('Logical_Switch', 'name'))).toBe('');
    expect(defaultValue(col('Meter', 'count'))).toBe(0);
    expect(defaultValue(col('Meter', 'rate'))).toBe(0);
    expect(defaultValue(col('Meter', 'fair'))).toBe(false);
    expect(defaultValue({ key: { type: 'uuid' }, min: 1, max: 1 })).toBe(zeroUuid);
    expect(defaultValue(col('Logical_Switch', 'copp'))).toBeUndefined();
    expect(defaultValue(col('Logical_Switch', 'ports'))).toEqual([]);
    expect(defaultValue(col('Logical_Switch', 'external_ids'))).toEqual({});
  });
});
