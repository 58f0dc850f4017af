import { defaultValue, valueFromWire, valueToWire, type WireValue } from './atoms.ts';
import { requireColumn, type TableSchema } from './schema.ts';

/**
 * A JS row to the wire `<row>` of an insert, update or wait. Properties set to undefined are
 * left out, except on optional columns, where undefined means "no value" (the empty set), so
 * an update can clear them.
 */
export function rowToWire(table: TableSchema, row: object): Record<string, WireValue> {
  const wire: Record<string, WireValue> = {};
  for (const [column, value] of Object.entries(row)) {
    if (column === '_uuid' || column === '_version') {
      throw new Error(`${table.name}.${column} is set by the server and cannot be written`);
    }
    const c = requireColumn(table, column);
    if (value === undefined && !(c.type.max === 1 && c.type.min === 0)) continue;
    wire[column] = valueToWire(value, c.type, `${table.name}.${column}`);
  }
  return wire;
}

/**
 * A wire `<row>` from the server to a JS row, with `_uuid` when given. Columns named in
 * `fill` that the row leaves out get their default value: update2 omits them from inserted
 * rows when they hold it. Optional columns without a value are absent properties.
 */
export function rowFromWire(
  table: TableSchema,
  wire: unknown,
  uuid?: string,
  fill: readonly string[] = [],
): Record<string, unknown> {
  if (!wire || typeof wire !== 'object' || Array.isArray(wire)) {
    throw new Error(`${table.name}: a row from the server is not an object`);
  }
  const row: Record<string, unknown> = {};
  if (uuid !== undefined) row._uuid = uuid;
  const values = wire as Record<string, unknown>;
  const set = (column: string, value: unknown) => {
    if (value !== undefined) row[column] = value;
  };
  for (const column of fill) {
    const type = requireColumn(table, column).type;
    set(
      column,
      Object.hasOwn(values, column)
        ? valueFromWire(values[column], type, `${table.name}.${column}`)
        : defaultValue(type),
    );
  }
  for (const [column, value] of Object.entries(values)) {
    if (fill.includes(column)) continue;
    set(column, valueFromWire(value, requireColumn(table, column).type, `${table.name}.${column}`));
  }
  return row;
}
