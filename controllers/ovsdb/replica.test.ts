import { describe, expect, it } from '@jest/globals';
import { Replica, type RowChange } from './replica.ts';
import { testSchema, type TestTables } from './test-schema.ts';

const sw1 = '11111111-1111-4111-8111-111111111111';
const sw2 = '22222222-2222-4222-8222-222222222222';
const p1 = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const p2 = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const p3 = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';

const lsColumns = ['name', 'ports', 'copp', 'external_ids'];
const lspColumns = ['name', 'addresses', 'tag', 'up', 'options'];
const monitored = [
  { table: 'Logical_Switch', columns: lsColumns },
  { table: 'Logical_Switch_Port', columns: lspColumns },
];

function setup() {
  const replica = new Replica<TestTables>();
  const changes: string[] = [];
  replica.onChange((c: RowChange<unknown>) => changes.push(`${c.type} ${c.table} ${c.uuid}`));
  replica.load(testSchema, monitored, {
    Logical_Switch: {
      [sw1]: {
        initial: {
          name: 'sw1',
          ports: [
            'set',
            [
              ['uuid', p1],
              ['uuid', p2],
            ],
          ],
          external_ids: [
            'map',
            [
              ['vpc', 'a'],
              ['tier', 'web'],
            ],
          ],
        },
      },
    },
    Logical_Switch_Port: {
      [p1]: { initial: { name: 'p1', addresses: '00:00:00:00:00:01 10.0.0.1', tag: 5 } },
      [p2]: { initial: { name: 'p2' } },
    },
  });
  return { replica, changes };
}

describe('Replica', () => {
  it('loads the initial rows, filling the columns update2 leaves at their default', () => {
    const { replica, changes } = setup();
    expect(replica.table('Logical_Switch').get(sw1)).toEqual({
      _uuid: sw1,
      name: 'sw1',
      ports: [p1, p2],
      external_ids: { vpc: 'a', tier: 'web' },
    });
    expect(replica.table('Logical_Switch_Port').get(p2)).toEqual({
      _uuid: p2,
      name: 'p2',
      addresses: [],
      options: {},
    });
    expect(replica.table('Logical_Switch_Port').get(p1)?.addresses).toEqual([
      '00:00:00:00:00:01 10.0.0.1',
    ]);
    expect(changes).toEqual([
      `insert Logical_Switch ${sw1}`,
      `insert Logical_Switch_Port ${p1}`,
      `insert Logical_Switch_Port ${p2}`,
    ]);
  });

  it('offers rows(), get(), find(), filter() and size per table', () => {
    const { replica } = setup();
    const ports = replica.table('Logical_Switch_Port');
    expect(ports.size).toBe(2);
    expect(ports.rows().map((r) => r.name)).toEqual(['p1', 'p2']);
    expect(ports.find((r) => r.tag === 5)?._uuid).toBe(p1);
    expect(ports.find((r) => r.name === 'p9')).toBeUndefined();
    expect(ports.filter((r) => r.name.startsWith('p'))).toHaveLength(2);
    expect(replica.table('Meter').rows()).toEqual([]);
  });

  it('applies a set diff as the symmetric difference: elements in it toggle', () => {
    const { replica } = setup();
    replica.apply(testSchema, {
      Logical_Switch: {
        [sw1]: {
          modify: {
            ports: [
              'set',
              [
                ['uuid', p2],
                ['uuid', p3],
              ],
            ],
          },
        },
      },
    });
    expect(replica.table('Logical_Switch').get(sw1)?.ports).toEqual([p1, p3]);
    replica.apply(testSchema, {
      Logical_Switch: { [sw1]: { modify: { ports: ['uuid', p1] } } },
    });
    expect(replica.table('Logical_Switch').get(sw1)?.ports).toEqual([p3]);
  });

  it('applies a map diff: new keys added, same key and value removed, new value changed', () => {
    const { replica } = setup();
    replica.apply(testSchema, {
      Logical_Switch: {
        [sw1]: {
          modify: {
            external_ids: [
              'map',
              [
                ['owner', 'team-a'],
                ['vpc', 'a'],
                ['tier', 'db'],
              ],
            ],
          },
        },
      },
    });
    expect(replica.table('Logical_Switch').get(sw1)?.external_ids).toEqual({
      tier: 'db',
      owner: 'team-a',
    });
  });

  it('sets single-valued columns to the value sent; an empty set clears an optional one', () => {
    const { replica } = setup();
    replica.apply(testSchema, {
      Logical_Switch_Port: {
        [p1]: { modify: { name: 'p1-renamed', tag: ['set', []], up: true } },
        [p2]: { modify: { tag: 9 } },
      },
    });
    const ports = replica.table('Logical_Switch_Port');
    expect(ports.get(p1)).toEqual({
      _uuid: p1,
      name: 'p1-renamed',
      addresses: ['00:00:00:00:00:01 10.0.0.1'],
      up: true,
      options: {},
    });
    expect(ports.get(p2)?.tag).toBe(9);
  });

  it('reports old and new rows, keeping the old object as it was', () => {
    const { replica } = setup();
    const seen: RowChange<TestTables['Logical_Switch']>[] = [];
    replica.table('Logical_Switch').onChange((c) => seen.push(c));
    const before = replica.table('Logical_Switch').get(sw1);
    replica.apply(testSchema, {
      Logical_Switch: { [sw1]: { modify: { name: 'sw1b' } } },
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.type).toBe('update');
    expect(seen[0]?.old).toBe(before);
    expect(before?.name).toBe('sw1');
    expect(seen[0]?.new?.name).toBe('sw1b');
  });

  it('inserts and deletes rows', () => {
    const { replica, changes } = setup();
    changes.length = 0;
    replica.apply(testSchema, {
      Logical_Switch_Port: { [p3]: { insert: { name: 'p3', up: false } }, [p2]: { delete: null } },
    });
    const ports = replica.table('Logical_Switch_Port');
    expect(ports.get(p3)).toEqual({ _uuid: p3, name: 'p3', addresses: [], up: false, options: {} });
    expect(ports.get(p2)).toBeUndefined();
    expect(changes).toEqual([
      `insert Logical_Switch_Port ${p3}`,
      `delete Logical_Switch_Port ${p2}`,
    ]);
  });

  it('finds rows by name through an index that follows inserts, renames, deletes and reloads', () => {
    const { replica } = setup();
    const ports = replica.table('Logical_Switch_Port');
    expect(ports.findByName('p1')?._uuid).toBe(p1);
    replica.apply(testSchema, {
      Logical_Switch_Port: {
        [p3]: { insert: { name: 'p3' } },
        [p1]: { modify: { name: 'p1-renamed' } },
        [p2]: { delete: null },
      },
    });
    expect(ports.findByName('p3')?._uuid).toBe(p3);
    expect(ports.findByName('p1')).toBeUndefined();
    expect(ports.findByName('p1-renamed')?._uuid).toBe(p1);
    expect(ports.findByName('p2')).toBeUndefined();
    replica.load(testSchema, monitored, {
      Logical_Switch: {},
      Logical_Switch_Port: { [p2]: { initial: { name: 'p2' } } },
    });
    expect(ports.findByName('p2')?._uuid).toBe(p2);
    expect(ports.findByName('p3')).toBeUndefined();
  });

  it('runs listeners after the whole update is applied, so they read a consistent replica', () => {
    const { replica } = setup();
    const observed: string[] = [];
    replica.table('Logical_Switch_Port').onChange((c) => {
      const sw = replica.table('Logical_Switch').get(sw1);
      observed.push(`${c.new?.name ?? ''} in switch: ${String(sw?.ports.includes(c.uuid))}`);
    });
    replica.apply(testSchema, {
      Logical_Switch_Port: { [p3]: { insert: { name: 'p3' } } },
      Logical_Switch: { [sw1]: { modify: { ports: ['uuid', p3] } } },
    });
    expect(observed).toEqual(['p3 in switch: true']);
  });

  it('keeps going when a listener throws, and stops calling an unsubscribed one', () => {
    const { replica } = setup();
    const calls: string[] = [];
    replica.onChange(() => {
      throw new Error('listener bug');
    });
    const off = replica.table('Logical_Switch').onChange((c) => calls.push(c.type));
    replica.apply(testSchema, { Logical_Switch: { [sw1]: { modify: { name: 'x' } } } });
    off();
    replica.apply(testSchema, { Logical_Switch: { [sw1]: { modify: { name: 'y' } } } });
    expect(calls).toEqual(['update']);
    expect(replica.table('Logical_Switch').get(sw1)?.name).toBe('y');
  });

  it('throws on a modify of a row it does not hold, so the caller can resynchronize', () => {
    const { replica } = setup();
    expect(() => {
      replica.apply(testSchema, { Logical_Switch: { [sw2]: { modify: { name: 'x' } } } });
    }).toThrow(`update2 modifies Logical_Switch row ${sw2}, which the replica lacks`);
  });

  it('rebuilds from a fresh monitor reply: removals first, then inserts and real changes only', () => {
    const { replica, changes } = setup();
    const unchanged = replica.table('Logical_Switch_Port').get(p1);
    changes.length = 0;
    const updates: RowChange<unknown>[] = [];
    replica.onChange((c) => {
      if (c.type === 'update') updates.push(c);
    });
    replica.load(testSchema, monitored, {
      Logical_Switch: {
        [sw1]: {
          initial: {
            name: 'sw1',
            // The same set in another order is no change.
            ports: [
              'set',
              [
                ['uuid', p1],
                ['uuid', p3],
              ],
            ],
            external_ids: [
              'map',
              [
                ['tier', 'web'],
                ['vpc', 'a'],
              ],
            ],
          },
        },
        [sw2]: { initial: { name: 'sw2' } },
      },
      Logical_Switch_Port: {
        [p1]: { initial: { name: 'p1', addresses: '00:00:00:00:00:01 10.0.0.1', tag: 5 } },
        [p3]: { initial: { name: 'p3' } },
      },
    });
    expect(changes).toEqual([
      `delete Logical_Switch_Port ${p2}`,
      `update Logical_Switch ${sw1}`,
      `insert Logical_Switch ${sw2}`,
      `insert Logical_Switch_Port ${p3}`,
    ]);
    expect(updates[0]?.old).toMatchObject({ ports: [p1, p2] });
    expect(updates[0]?.new).toMatchObject({ ports: [p1, p3] });
    expect(replica.table('Logical_Switch_Port').get(p1)).toBe(unchanged);
    expect(replica.table('Logical_Switch_Port').get(p2)).toBeUndefined();
  });

  it('empties a table whose rows are all gone from a fresh reply', () => {
    const { replica, changes } = setup();
    changes.length = 0;
    replica.load(testSchema, monitored, {});
    expect(replica.table('Logical_Switch').size).toBe(0);
    expect(replica.table('Logical_Switch_Port').size).toBe(0);
    expect(changes).toHaveLength(3);
    expect(changes.every((c) => c.startsWith('delete'))).toBe(true);
  });

  it('toggles set elements back when the same diff comes twice', () => {
    const { replica } = setup();
    const diff = { Logical_Switch: { [sw1]: { modify: { ports: ['uuid', p3] } } } };
    replica.apply(testSchema, diff);
    replica.apply(testSchema, diff);
    expect(replica.table('Logical_Switch').get(sw1)?.ports).toEqual([p1, p2]);
  });
});
