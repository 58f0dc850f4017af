import { describe, expect, it } from '@jest/globals';
import { parseSchema } from '../schema.ts';
import { testSchema } from '../test-schema.ts';
import { generateTables, interfaceName } from './generate.ts';

describe('generateTables', () => {
  const out = generateTables(testSchema, 'test.ovsschema');

  it('names interfaces after their tables', () => {
    expect(interfaceName('Logical_Switch_Port')).toBe('LogicalSwitchPort');
    expect(interfaceName('NB_Global')).toBe('NBGlobal');
    expect(interfaceName('QoS')).toBe('QoS');
    expect(interfaceName('DHCP_Options')).toBe('DHCPOptions');
  });

  it('writes a row interface per table with the TS type of every column', () => {
    expect(out).toContain(
      [
        '/** A row of Logical_Switch (root table). */',
        'export interface LogicalSwitch {',
        '  _uuid: string;',
        '  name: string;',
        '  /** Elements: references Logical_Switch_Port (strong). */',
        '  ports: string[];',
        '  /** References Meter (weak). */',
        '  copp?: string;',
        '  external_ids: Record<string, string>;',
        '}',
      ].join('\n'),
    );
    expect(out).toContain(
      [
        '/** A row of Logical_Switch_Port (non-root: rows nothing refers to are deleted; unique on (name)). */',
        'export interface LogicalSwitchPort {',
        '  _uuid: string;',
        '  name: string;',
        '  addresses: string[];',
        '  /** Integer in [1, 4095]. */',
        '  tag?: number;',
        '  up?: boolean;',
        '  options: Record<string, string>;',
        '}',
      ].join('\n'),
    );
    expect(out).toContain(
      [
        '/** A row of Meter (root table; at most 5 rows). */',
        'export interface Meter {',
        '  _uuid: string;',
        "  unit: 'kbps' | 'pktps';",
        "  only: 'drop';",
        '  rate: number;',
        '  count: number;',
        '  fair: boolean;',
        '  bands: Record<number, number>;',
        '  flags: Record<string, string>;',
        '  /** Values: integer in [1, inf]. */',
        "  limits: Partial<Record<'rate' | 'burst', number>>;",
        '  /** At least 1. At most 3. */',
        '  levels: number[];',
        '  status: string;',
        '}',
      ].join('\n'),
    );
  });

  it('lists the tables with their row types, and the schema name and version', () => {
    expect(out).toContain("export const schemaName = 'Test_DB';");
    expect(out).toContain("export const schemaVersion = '1.2.3';");
    expect(out).toContain(
      [
        'export interface Tables {',
        '  Logical_Switch: LogicalSwitch;',
        '  Logical_Switch_Port: LogicalSwitchPort;',
        '  Meter: Meter;',
        '}',
      ].join('\n'),
    );
    expect(out).toContain(
      "export const tableNames: readonly TableName[] = ['Logical_Switch', 'Logical_Switch_Port', 'Meter'];",
    );
  });

  it('writes enum sets as arrays of the union, and notes ephemeral and immutable columns', () => {
    const s = parseSchema({
      name: 'X',
      version: '1',
      tables: {
        T: {
          columns: {
            fields: {
              type: {
                key: { type: 'string', enum: ['set', ['a', 'b']] },
                min: 0,
                max: 'unlimited',
              },
            },
            status: { type: 'string', ephemeral: true, mutable: false },
            "it's": { type: 'string' },
          },
        },
      },
    });
    const text = generateTables(s, 'x');
    expect(text).toContain("  fields: ('a' | 'b')[];");
    expect(text).toContain(
      '  /** Ephemeral: not written to disk. Immutable after insert. */\n  status: string;',
    );
    expect(text).toContain("  'it\\'s': string;");
  });
});
