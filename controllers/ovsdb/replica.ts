import type { Logger } from '../logging/logger.ts';
import { atomFromWire, valueFromWire, wireMapPairs, wireSetElements } from './atoms.ts';
import { errorMessage } from './errors.ts';
import type { GenericRow } from './operations.ts';
import { rowFromWire } from './rows.ts';
import {
  columnKind,
  requireColumn,
  tableSchema,
  type Atom,
  type BaseType,
  type DatabaseSchema,
  type TableSchema,
} from './schema.ts';

export type ChangeType = 'insert' | 'update' | 'delete';

export interface RowChange<R> {
  type: ChangeType;
  table: string;
  uuid: string;
  /** The row before the change; absent for an insert. */
  old?: R;
  /** The row after the change; absent for a delete. */
  new?: R;
}

export type ChangeListener<R> = (change: RowChange<R>) => void;

/** A monitored table and the columns its rows carry. */
export interface MonitoredTable {
  table: string;
  columns: readonly string[];
}

type Row = Record<string, unknown>;

interface TableState {
  rows: Map<string, Row>;
  /** name → uuids, for tables whose rows have a string `name`: lookups by name are not scans. */
  byName: Map<string, Set<string>>;
  listeners: Set<ChangeListener<Row>>;
  columns: readonly string[];
}

function nameOf(row: Row | undefined): string | undefined {
  const name = row?.name;
  return typeof name === 'string' ? name : undefined;
}

/** Records that `uuid` now holds `row` (or nothing), keeping the name index in step. */
function putRow(state: TableState, uuid: string, row: Row | undefined): void {
  const oldName = nameOf(state.rows.get(uuid));
  if (oldName !== undefined) {
    const uuids = state.byName.get(oldName);
    uuids?.delete(uuid);
    if (uuids?.size === 0) state.byName.delete(oldName);
  }
  if (row === undefined) {
    state.rows.delete(uuid);
    return;
  }
  state.rows.set(uuid, row);
  const name = nameOf(row);
  if (name === undefined) return;
  let uuids = state.byName.get(name);
  if (!uuids) {
    uuids = new Set();
    state.byName.set(name, uuids);
  }
  uuids.add(uuid);
}

/**
 * One table of the replica. Rows are shared snapshots: a change replaces a row object rather
 * than editing it, so a row read earlier stays as it was. Do not modify them.
 */
export class TableReplica<R> {
  readonly name: string;
  private readonly state: TableState;

  constructor(name: string, state: TableState) {
    this.name = name;
    this.state = state;
  }

  get size(): number {
    return this.state.rows.size;
  }

  rows(): R[] {
    return [...this.state.rows.values()] as R[];
  }

  get(uuid: string): R | undefined {
    return this.state.rows.get(uuid) as R | undefined;
  }

  /** A row with this `name` (through an index, not a scan). */
  findByName(name: string): R | undefined {
    const uuids = this.state.byName.get(name);
    if (!uuids) return undefined;
    for (const uuid of uuids) return this.state.rows.get(uuid) as R | undefined;
    return undefined;
  }

  /** The first row that matches. */
  find(predicate: (row: R) => boolean): R | undefined {
    for (const row of this.state.rows.values()) if (predicate(row as R)) return row as R;
    return undefined;
  }

  /** Every row that matches. */
  filter(predicate: (row: R) => boolean): R[] {
    const out: R[] = [];
    for (const row of this.state.rows.values()) if (predicate(row as R)) out.push(row as R);
    return out;
  }

  /** Called after each change to this table is applied; returns the unsubscribe function. */
  onChange(listener: ChangeListener<R>): () => void {
    const l = listener as ChangeListener<Row>;
    this.state.listeners.add(l);
    return () => {
      this.state.listeners.delete(l);
    };
  }
}

/**
 * The in-memory copy of the monitored tables, kept by `monitor_cond` replies and `update2`
 * notifications. Listeners run after a whole notification (one or more committed
 * transactions) has been applied, so what they read from the replica is consistent.
 */
export class Replica<Tables extends object = Record<string, GenericRow>> {
  private readonly states = new Map<string, TableState>();
  private readonly listeners = new Set<ChangeListener<Row>>();
  private readonly log: Logger | undefined;

  constructor(log?: Logger) {
    this.log = log;
  }

  table<N extends keyof Tables & string>(name: N): TableReplica<Tables[N]> {
    return new TableReplica<Tables[N]>(name, this.state(name));
  }

  /** Changes to any table; returns the unsubscribe function. */
  onChange(listener: ChangeListener<Tables[keyof Tables]>): () => void {
    const l = listener as ChangeListener<Row>;
    this.listeners.add(l);
    return () => {
      this.listeners.delete(l);
    };
  }

  /**
   * Replaces the contents of `tables` with the rows of a monitor reply (the whole current
   * state) and emits the differences: removals of rows that no longer exist, inserts, and
   * updates of rows that changed. Unchanged rows keep their objects and emit nothing.
   */
  load(schema: DatabaseSchema, tables: readonly MonitoredTable[], updates: unknown): void {
    const byTable = asObject(updates, 'monitor reply');
    const removals: RowChange<Row>[] = [];
    const changes: RowChange<Row>[] = [];
    for (const { table, columns } of tables) {
      const t = tableSchema(schema, table);
      const state = this.state(table);
      state.columns = columns;
      const fresh = new Map<string, Row>();
      const rowUpdates = Object.hasOwn(byTable, table) ? asObject(byTable[table], table) : {};
      for (const [uuid, rowUpdate] of Object.entries(rowUpdates)) {
        const u = asObject(rowUpdate, `${table} ${uuid}`);
        const row = rowFromWire(t, u.initial ?? u.insert, uuid, columns);
        const old = state.rows.get(uuid);
        if (!old) {
          changes.push({ type: 'insert', table, uuid, new: row });
          fresh.set(uuid, row);
        } else if (sameRow(old, row)) {
          fresh.set(uuid, old);
        } else {
          changes.push({ type: 'update', table, uuid, old, new: row });
          fresh.set(uuid, row);
        }
      }
      for (const [uuid, old] of state.rows) {
        if (!fresh.has(uuid)) removals.push({ type: 'delete', table, uuid, old });
      }
      state.rows = new Map();
      state.byName = new Map();
      for (const [uuid, row] of fresh) putRow(state, uuid, row);
    }
    this.emit([...removals, ...changes]);
  }

  /**
   * Applies a `<table-updates2>` object. A modify for a row the replica does not hold means
   * it has lost step with the server; that throws, and the caller resynchronizes.
   */
  apply(schema: DatabaseSchema, updates: unknown): void {
    const changes: RowChange<Row>[] = [];
    for (const [table, rowUpdates] of Object.entries(asObject(updates, 'update2'))) {
      const t = tableSchema(schema, table);
      const state = this.state(table);
      for (const [uuid, rowUpdate] of Object.entries(asObject(rowUpdates, table))) {
        const u = asObject(rowUpdate, `${table} ${uuid}`);
        const old = state.rows.get(uuid);
        if ('initial' in u || 'insert' in u) {
          const row = rowFromWire(t, u.initial ?? u.insert, uuid, state.columns);
          putRow(state, uuid, row);
          changes.push(
            old
              ? { type: 'update', table, uuid, old, new: row }
              : { type: 'insert', table, uuid, new: row },
          );
        } else if ('modify' in u) {
          if (!old)
            throw new Error(`update2 modifies ${table} row ${uuid}, which the replica lacks`);
          const row = applyDiff(t, old, u.modify);
          putRow(state, uuid, row);
          changes.push({ type: 'update', table, uuid, old, new: row });
        } else if ('delete' in u) {
          if (!old) continue;
          putRow(state, uuid, undefined);
          changes.push({ type: 'delete', table, uuid, old });
        } else {
          throw new Error(
            `update2 for ${table} row ${uuid} has no initial, insert, modify or delete`,
          );
        }
      }
    }
    this.emit(changes);
  }

  private state(table: string): TableState {
    let s = this.states.get(table);
    if (!s) {
      s = { rows: new Map(), byName: new Map(), listeners: new Set(), columns: [] };
      this.states.set(table, s);
    }
    return s;
  }

  private emit(changes: readonly RowChange<Row>[]): void {
    for (const change of changes) {
      const tableListeners = this.states.get(change.table)?.listeners ?? [];
      for (const listener of [...tableListeners, ...this.listeners]) {
        try {
          listener(change);
        } catch (err) {
          this.log?.error('ovsdb replica change listener failed', {
            table: change.table,
            uuid: change.uuid,
            error: errorMessage(err),
          });
        }
      }
    }
  }
}

/**
 * Applies a modify's per-column differences (ovsdb-server(7), update2): the new value of a
 * column that holds at most one value (optional ones too: an empty set clears them); the
 * elements to toggle for a set (the symmetric difference of old and new); for a map, the
 * entries to add, to remove (the same key and value as now) or to change (the same key, a
 * new value).
 */
export function applyDiff(t: TableSchema, old: Row, diff: unknown): Row {
  const row: Row = { ...old };
  for (const [column, wire] of Object.entries(asObject(diff, `${t.name} modify`))) {
    const type = requireColumn(t, column).type;
    const where = `${t.name}.${column}`;
    switch (columnKind(type)) {
      case 'scalar':
      case 'optional': {
        const value = valueFromWire(wire, type, where);
        if (value === undefined) Reflect.deleteProperty(row, column);
        else row[column] = value;
        break;
      }
      case 'set':
        row[column] = toggle((row[column] ?? []) as Atom[], wireAtoms(wire, type.key, where));
        break;
      case 'map': {
        const map = { ...((row[column] ?? {}) as Record<string, Atom>) };
        const valueType = type.value;
        if (!valueType) throw new Error(`${where}: not a map`);
        for (const [k, v] of wireMapPairs(wire, where)) {
          const key = String(atomFromWire(k, type.key, where));
          const value = atomFromWire(v, valueType, where);
          if (Object.hasOwn(map, key) && map[key] === value) Reflect.deleteProperty(map, key);
          else map[key] = value;
        }
        row[column] = map;
        break;
      }
    }
  }
  return row;
}

function wireAtoms(wire: unknown, base: BaseType, where: string): Atom[] {
  return wireSetElements(wire, where).map((e) => atomFromWire(e, base, where));
}

function toggle(current: readonly Atom[], diff: readonly Atom[]): Atom[] {
  const set = new Set<Atom>(current);
  for (const d of diff) {
    if (set.has(d)) set.delete(d);
    else set.add(d);
  }
  return [...set];
}

function sameRow(a: Row, b: Row): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && sameValue(a[k], b[k]));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    const set = new Set<unknown>(b);
    return a.every((x) => set.has(x));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    const keys = Object.keys(ra);
    return (
      keys.length === Object.keys(rb).length &&
      keys.every((k) => Object.hasOwn(rb, k) && ra[k] === rb[k])
    );
  }
  return false;
}

function asObject(json: unknown, what: string): Record<string, unknown> {
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error(`${what}: expected a JSON object from the server`);
  }
  return json as Record<string, unknown>;
}
