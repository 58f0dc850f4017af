// A small schema for the unit tests, shaped like OVN's northbound one but covering every
// kind of column: scalars of each atomic type, optional values, sets, maps with string,
// integer, boolean and enum keys, enums, references.
import { parseSchema } from './schema.ts';

export const testSchemaJson = {
  name: 'Test_DB',
  version: '1.2.3',
  tables: {
    Logical_Switch: {
      isRoot: true,
      columns: {
        name: { type: 'string' },
        ports: {
          type: {
            key: { type: 'uuid', refTable: 'Logical_Switch_Port', refType: 'strong' },
            min: 0,
            max: 'unlimited',
          },
        },
        copp: {
          type: { key: { type: 'uuid', refTable: 'Meter', refType: 'weak' }, min: 0, max: 1 },
        },
        external_ids: { type: { key: 'string', value: 'string', min: 0, max: 'unlimited' } },
      },
    },
    Logical_Switch_Port: {
      indexes: [['name']],
      columns: {
        name: { type: 'string' },
        addresses: { type: { key: 'string', min: 0, max: 'unlimited' } },
        tag: {
          type: { key: { type: 'integer', minInteger: 1, maxInteger: 4095 }, min: 0, max: 1 },
        },
        up: { type: { key: 'boolean', min: 0, max: 1 } },
        options: { type: { key: 'string', value: 'string', min: 0, max: 'unlimited' } },
      },
    },
    Meter: {
      isRoot: true,
      maxRows: 5,
      columns: {
        unit: { type: { key: { type: 'string', enum: ['set', ['kbps', 'pktps']] } } },
        only: { type: { key: { type: 'string', enum: 'drop' } } },
        rate: { type: 'real' },
        count: { type: 'integer' },
        fair: { type: 'boolean' },
        bands: {
          type: {
            key: { type: 'integer' },
            value: { type: 'real' },
            min: 0,
            max: 'unlimited',
          },
        },
        flags: { type: { key: 'boolean', value: 'string', min: 0, max: 'unlimited' } },
        limits: {
          type: {
            key: { type: 'string', enum: ['set', ['rate', 'burst']] },
            value: { type: 'integer', minInteger: 1 },
            min: 0,
            max: 'unlimited',
          },
        },
        levels: { type: { key: 'integer', min: 1, max: 3 } },
        status: { type: 'string' },
      },
    },
  },
} as const;

export const testSchema = parseSchema(testSchemaJson);

export interface LogicalSwitch {
  _uuid: string;
  name: string;
  ports: string[];
  copp?: string;
  external_ids: Record<string, string>;
}

export interface LogicalSwitchPort {
  _uuid: string;
  name: string;
  addresses: string[];
  tag?: number;
  up?: boolean;
  options: Record<string, string>;
}

export interface Meter {
  _uuid: string;
  unit: 'kbps' | 'pktps';
  only: 'drop';
  rate: number;
  count: number;
  fair: boolean;
  bands: Record<number, number>;
  flags: Record<string, string>;
  limits: Partial<Record<'rate' | 'burst', number>>;
  levels: number[];
  status: string;
}

export interface TestTables {
  Logical_Switch: LogicalSwitch;
  Logical_Switch_Port: LogicalSwitchPort;
  Meter: Meter;
}
