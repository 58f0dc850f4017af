import { readFile } from 'node:fs/promises';

export type AtomicType = 'integer' | 'real' | 'boolean' | 'string' | 'uuid';
export type Atom = string | number | boolean;

/** An atomic type with its constraints, every shorthand of RFC 7047 expanded. */
export interface BaseType {
  type: AtomicType;
  enum?: Atom[];
  minInteger?: number;
  maxInteger?: number;
  minReal?: number;
  maxReal?: number;
  minLength?: number;
  maxLength?: number;
  refTable?: string;
  refType?: 'strong' | 'weak';
}

/** A column's type: `max` is Infinity for "unlimited"; `value` is present for maps. */
export interface ColumnType {
  key: BaseType;
  value?: BaseType;
  min: number;
  max: number;
}

export interface ColumnSchema {
  type: ColumnType;
  ephemeral: boolean;
  mutable: boolean;
}

export interface TableSchema {
  name: string;
  columns: Record<string, ColumnSchema>;
  maxRows?: number;
  isRoot: boolean;
  indexes: string[][];
}

export interface DatabaseSchema {
  name: string;
  version: string;
  tables: Record<string, TableSchema>;
}

/**
 * How a column is held in JS: `scalar` exactly one atom, `optional` zero or one (an absent
 * property), `set` an array, `map` a Record keyed by the key atom's string form.
 */
export type ColumnKind = 'scalar' | 'optional' | 'set' | 'map';

export function columnKind(type: ColumnType): ColumnKind {
  if (type.value) return 'map';
  if (type.max === 1) return type.min === 1 ? 'scalar' : 'optional';
  return 'set';
}

const uuidColumn: ColumnSchema = {
  type: { key: { type: 'uuid' }, min: 1, max: 1 },
  ephemeral: false,
  mutable: false,
};

/** Every table has the `_uuid` and `_version` columns, which schemas do not list. */
export function columnSchema(table: TableSchema, column: string): ColumnSchema | undefined {
  if (column === '_uuid' || column === '_version') return uuidColumn;
  return Object.hasOwn(table.columns, column) ? table.columns[column] : undefined;
}

export function tableSchema(schema: DatabaseSchema, table: string): TableSchema {
  const t = Object.hasOwn(schema.tables, table) ? schema.tables[table] : undefined;
  if (!t) throw new Error(`database ${schema.name} has no table ${table}`);
  return t;
}

export function requireColumn(table: TableSchema, column: string): ColumnSchema {
  const c = columnSchema(table, column);
  if (!c) throw new Error(`table ${table.name} has no column ${column}`);
  return c;
}

export async function readSchemaFile(file: string): Promise<DatabaseSchema> {
  return parseSchema(JSON.parse(await readFile(file, 'utf8')));
}

/** Reads a schema as `get_schema` returns it or an `.ovsschema` file holds it. */
export function parseSchema(json: unknown): DatabaseSchema {
  const s = asObject(json, 'schema');
  const name = asString(s.name, 'schema name');
  const tablesJson = asObject(s.tables, `schema ${name} tables`);
  const tables: Record<string, TableSchema> = {};
  for (const [tableName, tableJson] of Object.entries(tablesJson)) {
    tables[tableName] = parseTable(tableName, tableJson);
  }
  return { name, version: typeof s.version === 'string' ? s.version : '', tables };
}

function parseTable(name: string, json: unknown): TableSchema {
  const t = asObject(json, `table ${name}`);
  const columnsJson = asObject(t.columns, `table ${name} columns`);
  const columns: Record<string, ColumnSchema> = {};
  for (const [columnName, columnJson] of Object.entries(columnsJson)) {
    const c = asObject(columnJson, `column ${name}.${columnName}`);
    columns[columnName] = {
      type: parseColumnType(c.type, `${name}.${columnName}`),
      ephemeral: c.ephemeral === true,
      mutable: c.mutable !== false,
    };
  }
  const table: TableSchema = {
    name,
    columns,
    isRoot: t.isRoot === true,
    indexes: Array.isArray(t.indexes) ? (t.indexes as string[][]) : [],
  };
  if (typeof t.maxRows === 'number') table.maxRows = t.maxRows;
  return table;
}

function parseColumnType(json: unknown, where: string): ColumnType {
  if (typeof json === 'string') return { key: parseBaseType(json, where), min: 1, max: 1 };
  const t = asObject(json, `type of ${where}`);
  const type: ColumnType = {
    key: parseBaseType(t.key, where),
    min: typeof t.min === 'number' ? t.min : 1,
    max: t.max === 'unlimited' ? Infinity : typeof t.max === 'number' ? t.max : 1,
  };
  if (t.value !== undefined) type.value = parseBaseType(t.value, where);
  return type;
}

const atomicTypes: readonly string[] = ['integer', 'real', 'boolean', 'string', 'uuid'];

function parseBaseType(json: unknown, where: string): BaseType {
  if (typeof json === 'string') return { type: atomicType(json, where) };
  const b = asObject(json, `base type of ${where}`);
  const base: BaseType = { type: atomicType(b.type, where) };
  if (b.enum !== undefined) base.enum = parseEnum(b.enum);
  for (const key of [
    'minInteger',
    'maxInteger',
    'minReal',
    'maxReal',
    'minLength',
    'maxLength',
  ] as const) {
    const v = b[key];
    if (typeof v === 'number') base[key] = v;
  }
  if (typeof b.refTable === 'string') {
    base.refTable = b.refTable;
    base.refType = b.refType === 'weak' ? 'weak' : 'strong';
  }
  return base;
}

/** An enum is a set of atoms, written as one bare atom when it has a single member. */
function parseEnum(json: unknown): Atom[] {
  if (Array.isArray(json) && json[0] === 'set' && Array.isArray(json[1])) {
    return json[1] as Atom[];
  }
  return [json as Atom];
}

function atomicType(json: unknown, where: string): AtomicType {
  if (typeof json !== 'string' || !atomicTypes.includes(json)) {
    throw new Error(`column ${where}: unknown atomic type ${JSON.stringify(json)}`);
  }
  return json as AtomicType;
}

function asObject(json: unknown, what: string): Record<string, unknown> {
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error(`${what} is not a JSON object`);
  }
  return json as Record<string, unknown>;
}

function asString(json: unknown, what: string): string {
  if (typeof json !== 'string') throw new Error(`${what} is not a string`);
  return json;
}
