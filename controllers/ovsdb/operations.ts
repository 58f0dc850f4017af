import {
  atomToWire,
  isUuidName,
  mapKeyToWire,
  mapToWire,
  setToWire,
  valueToWire,
  wireSetElements,
  type WireValue,
} from './atoms.ts';
import { rowFromWire, rowToWire } from './rows.ts';
import {
  columnKind,
  requireColumn,
  tableSchema,
  type DatabaseSchema,
  type TableSchema,
} from './schema.ts';

/** Any row: what the builders accept when no generated row type is given. */
export type GenericRow = { _uuid: string } & Record<string, unknown>;

/** The writable columns of a row type. */
export type ColumnName<R> = Exclude<keyof R & string, '_uuid' | '_version'>;

/** Columns to write: all optional, since the server gives every column a default. */
export type RowInput<R> = { [K in ColumnName<R>]?: R[K] };

export type ConditionFunction = '<' | '<=' | '==' | '!=' | '>=' | '>' | 'includes' | 'excludes';

type ConditionValue<V> = unknown extends V ? unknown : V extends readonly (infer E)[] ? V | E : V;

/**
 * `[column, function, value]` (RFC 7047 section 5.1). The value has the column's type; a set
 * column also takes a single element, an optional column `undefined` for "no value".
 */
export type Condition<R> = {
  [K in keyof R & string]-?: readonly [K, ConditionFunction, ConditionValue<R[K]>];
}[keyof R & string];

type Arithmetic = '+=' | '-=' | '*=' | '/=' | '%=';
export type Mutator = Arithmetic | 'insert' | 'delete';

type MutationOf<K, V> = unknown extends V
  ? readonly [K, Mutator, unknown]
  : NonNullable<V> extends readonly (infer E)[]
    ? | readonly [K, 'insert' | 'delete', E | readonly E[]]
      | (E extends number ? readonly [K, Arithmetic, number] : never)
    : NonNullable<V> extends number
      ? | readonly [K, Arithmetic, number]
        | (undefined extends V
            ? readonly [K, 'insert' | 'delete', number | readonly number[]]
            : never)
      : NonNullable<V> extends string | boolean
        ? undefined extends V
          ? readonly [K, 'insert' | 'delete', NonNullable<V> | readonly NonNullable<V>[]]
          : never
        : | readonly [K, 'insert', NonNullable<V>]
          | readonly [
              K,
              'delete',
              NonNullable<V> | readonly (keyof NonNullable<V> & (string | number))[],
            ];

/**
 * `[column, mutator, value]`: `insert`/`delete` add or remove set elements or map entries
 * (a map's `delete` also takes an array of keys); arithmetic mutators apply to numbers.
 */
export type Mutation<R> = { [K in ColumnName<R>]-?: MutationOf<K, R[K]> }[ColumnName<R>];

// Carries a select's row type to its result without existing at runtime.
declare const rowType: unique symbol;

export interface InsertOp {
  readonly op: 'insert';
  readonly table: string;
  readonly row: object;
  readonly uuidName?: string;
}

export interface SelectOp<R = GenericRow> {
  readonly op: 'select';
  readonly table: string;
  readonly where: readonly unknown[];
  readonly columns?: readonly string[];
  readonly [rowType]?: R;
}

export interface UpdateOp {
  readonly op: 'update';
  readonly table: string;
  readonly where: readonly unknown[];
  readonly row: object;
}

export interface MutateOp {
  readonly op: 'mutate';
  readonly table: string;
  readonly where: readonly unknown[];
  readonly mutations: readonly (readonly [string, Mutator, unknown])[];
}

export interface DeleteOp {
  readonly op: 'delete';
  readonly table: string;
  readonly where: readonly unknown[];
}

export interface WaitOp {
  readonly op: 'wait';
  readonly table: string;
  readonly where: readonly unknown[];
  readonly columns: readonly string[];
  readonly until: '==' | '!=';
  readonly rows: readonly object[];
  readonly timeout?: number;
}

export interface CommentOp {
  readonly op: 'comment';
  readonly comment: string;
}

export interface AssertOp {
  readonly op: 'assert';
  readonly lock: string;
}

export type Operation =
  InsertOp | SelectOp<unknown> | UpdateOp | MutateOp | DeleteOp | WaitOp | CommentOp | AssertOp;

export interface InsertResult {
  uuid: string;
}
export interface SelectResult<R> {
  rows: R[];
}
export interface CountResult {
  count: number;
}
export type EmptyResult = Record<string, never>;

export type OperationResult<O> = O extends { op: 'insert' }
  ? InsertResult
  : O extends SelectOp<infer R>
    ? SelectResult<R>
    : O extends { op: 'update' | 'mutate' | 'delete' }
      ? CountResult
      : EmptyResult;

export type TransactionResults<O extends readonly Operation[]> = {
  -readonly [I in keyof O]: OperationResult<O[I]>;
};

export interface WaitOptions<R, C extends ColumnName<R>> {
  where: readonly Condition<R>[];
  columns: readonly C[];
  /** '==' waits until the selected rows equal `rows`; '!=' until they differ. */
  until: '==' | '!=';
  rows: readonly { [K in C]?: R[K] }[];
  /** Milliseconds the server waits before failing the transaction; 0 fails at once. */
  timeout?: number;
}

/**
 * Inserts a row. `uuidName` names it for later operations of the same transaction: wherever
 * a uuid is expected, that name stands for the new row's UUID.
 */
export function insert<R extends object = GenericRow>(
  table: string,
  row: RowInput<R>,
  uuidName?: string,
): InsertOp {
  if (uuidName !== undefined && !isUuidName(uuidName)) {
    throw new Error(`uuid-name ${JSON.stringify(uuidName)} must match [_a-zA-Z][_a-zA-Z0-9]*`);
  }
  return uuidName === undefined
    ? { op: 'insert', table, row }
    : { op: 'insert', table, row, uuidName };
}

/** Selects rows matching every condition; `columns` limits what each row carries. */
export function select<
  R extends object = GenericRow,
  C extends keyof R & string = keyof R & string,
>(table: string, where: readonly Condition<R>[], columns?: readonly C[]): SelectOp<Pick<R, C>> {
  return columns === undefined
    ? { op: 'select', table, where }
    : { op: 'select', table, where, columns };
}

export function update<R extends object = GenericRow>(
  table: string,
  where: readonly Condition<R>[],
  row: RowInput<R>,
): UpdateOp {
  return { op: 'update', table, where, row };
}

export function mutate<R extends object = GenericRow>(
  table: string,
  where: readonly Condition<R>[],
  mutations: readonly Mutation<R>[],
): MutateOp {
  return { op: 'mutate', table, where, mutations };
}

export function deleteRows<R extends object = GenericRow>(
  table: string,
  where: readonly Condition<R>[],
): DeleteOp {
  return { op: 'delete', table, where };
}

/** Fails the transaction unless (or while) the selected rows equal `rows` (RFC 7047 5.2.6). */
export function wait<R extends object = GenericRow, C extends ColumnName<R> = ColumnName<R>>(
  table: string,
  opts: WaitOptions<R, C>,
): WaitOp {
  const op: WaitOp = {
    op: 'wait',
    table,
    where: opts.where,
    columns: opts.columns,
    until: opts.until,
    rows: opts.rows,
  };
  return opts.timeout === undefined ? op : { ...op, timeout: opts.timeout };
}

/** Written to the server's log with the transaction. */
export function comment(text: string): CommentOp {
  return { op: 'comment', comment: text };
}

/** Fails the transaction unless this session holds the named lock. */
export function assert(lock: string): AssertOp {
  // Lock names are <id>s, like uuid-names.
  if (!isUuidName(lock))
    throw new Error(`lock ${JSON.stringify(lock)} must match [_a-zA-Z][_a-zA-Z0-9]*`);
  return { op: 'assert', lock };
}

/** The builders with table names checked and row types looked up in a generated `Tables`. */
export interface TypedOperations<Tables extends object> {
  insert<N extends keyof Tables & string>(
    table: N,
    row: RowInput<Tables[N]>,
    uuidName?: string,
  ): InsertOp;
  select<
    N extends keyof Tables & string,
    C extends keyof Tables[N] & string = keyof Tables[N] & string,
  >(
    table: N,
    where: readonly Condition<Tables[N]>[],
    columns?: readonly C[],
  ): SelectOp<Pick<Tables[N], C>>;
  update<N extends keyof Tables & string>(
    table: N,
    where: readonly Condition<Tables[N]>[],
    row: RowInput<Tables[N]>,
  ): UpdateOp;
  mutate<N extends keyof Tables & string>(
    table: N,
    where: readonly Condition<Tables[N]>[],
    mutations: readonly Mutation<Tables[N]>[],
  ): MutateOp;
  delete<N extends keyof Tables & string>(
    table: N,
    where: readonly Condition<Tables[N]>[],
  ): DeleteOp;
  wait<N extends keyof Tables & string, C extends ColumnName<Tables[N]>>(
    table: N,
    opts: WaitOptions<Tables[N], C>,
  ): WaitOp;
  comment(text: string): CommentOp;
  assert(lock: string): AssertOp;
}

export function operationsFor<Tables extends object>(): TypedOperations<Tables> {
  return {
    insert,
    // Same function: TypeScript cannot relate Pick<R, C> across the two generic signatures.
    select: select as TypedOperations<Tables>['select'],
    update,
    mutate,
    delete: deleteRows,
    wait,
    comment,
    assert,
  };
}

/** An operation as sent: JS values converted to their wire forms with the server's schema. */
export function operationToWire(op: Operation, schema: DatabaseSchema): Record<string, unknown> {
  switch (op.op) {
    case 'comment':
      return { op: 'comment', comment: op.comment };
    case 'assert':
      return { op: 'assert', lock: op.lock };
    case 'insert': {
      const t = tableSchema(schema, op.table);
      const wire: Record<string, unknown> = {
        op: 'insert',
        table: op.table,
        row: rowToWire(t, op.row),
      };
      if (op.uuidName !== undefined) wire['uuid-name'] = op.uuidName;
      return wire;
    }
    case 'select': {
      const t = tableSchema(schema, op.table);
      const wire: Record<string, unknown> = {
        op: 'select',
        table: op.table,
        where: conditionsToWire(t, op.where),
      };
      if (op.columns) wire.columns = columnsOf(t, op.columns);
      return wire;
    }
    case 'update': {
      const t = tableSchema(schema, op.table);
      return {
        op: 'update',
        table: op.table,
        where: conditionsToWire(t, op.where),
        row: rowToWire(t, op.row),
      };
    }
    case 'mutate': {
      const t = tableSchema(schema, op.table);
      return {
        op: 'mutate',
        table: op.table,
        where: conditionsToWire(t, op.where),
        mutations: op.mutations.map((m) => mutationToWire(t, m)),
      };
    }
    case 'delete': {
      const t = tableSchema(schema, op.table);
      return { op: 'delete', table: op.table, where: conditionsToWire(t, op.where) };
    }
    case 'wait': {
      const t = tableSchema(schema, op.table);
      const wire: Record<string, unknown> = {
        op: 'wait',
        table: op.table,
        where: conditionsToWire(t, op.where),
        columns: columnsOf(t, op.columns),
        until: op.until,
        rows: op.rows.map((r) => rowToWire(t, r)),
      };
      if (op.timeout !== undefined) wire.timeout = op.timeout;
      return wire;
    }
  }
}

/** A successful operation's result in JS form (uuids as strings, rows converted). */
export function resultFromWire(op: Operation, result: unknown, schema: DatabaseSchema): unknown {
  const r = (result ?? {}) as Record<string, unknown>;
  switch (op.op) {
    case 'insert': {
      const uuid = wireSetElements(r.uuid, 'insert result')[0];
      if (!Array.isArray(uuid) || typeof uuid[1] !== 'string') {
        throw new Error(`insert into ${op.table}: the result has no uuid`);
      }
      return { uuid: uuid[1] };
    }
    case 'select': {
      const t = tableSchema(schema, op.table);
      const rows = Array.isArray(r.rows) ? (r.rows as unknown[]) : [];
      // Selected rows carry _uuid as a column of their own.
      return { rows: rows.map((row) => rowFromWire(t, row)) };
    }
    case 'update':
    case 'mutate':
    case 'delete':
      return { count: typeof r.count === 'number' ? r.count : 0 };
    default:
      return {};
  }
}

/** "operation 3 (insert Logical_Switch_Port)", for error messages. */
export function describeOperation(op: Operation | undefined, index: number): string {
  if (!op) return 'commit';
  const what = 'table' in op ? `${op.op} ${op.table}` : op.op;
  return `operation ${String(index)} (${what})`;
}

const conditionFunctions: readonly string[] = [
  '<',
  '<=',
  '==',
  '!=',
  '>=',
  '>',
  'includes',
  'excludes',
];

function conditionsToWire(t: TableSchema, where: readonly unknown[]): unknown[] {
  return where.map((c) => conditionToWire(t, c));
}

export function conditionToWire(t: TableSchema, condition: unknown): [string, string, WireValue] {
  const c = condition;
  if (!Array.isArray(c) || c.length !== 3 || typeof c[0] !== 'string' || typeof c[1] !== 'string') {
    throw new Error(`${t.name}: a condition must be [column, function, value]`);
  }
  const [column, fn, value] = c as [string, string, unknown];
  if (!conditionFunctions.includes(fn)) {
    throw new Error(`${t.name}: unknown condition function ${JSON.stringify(fn)}`);
  }
  const type = requireColumn(t, column).type;
  return [column, fn, valueToWire(value, type, `${t.name}.${column} ${fn}`)];
}

function mutationToWire(
  t: TableSchema,
  [column, mutator, value]: readonly [string, Mutator, unknown],
): [string, Mutator, WireValue] {
  const type = requireColumn(t, column).type;
  const where = `${t.name}.${column} ${mutator}`;
  const kind = columnKind(type);
  switch (mutator) {
    case 'insert':
    case 'delete':
      if (kind === 'scalar') throw new Error(`${where}: insert and delete apply to sets and maps`);
      if (kind !== 'map') {
        return [
          column,
          mutator,
          setToWire(Array.isArray(value) ? value : [value], type.key, where),
        ];
      }
      if (mutator === 'delete' && Array.isArray(value)) {
        const keys = value.map((k: unknown) =>
          typeof k === 'string' ? mapKeyToWire(k, type.key, where) : atomToWire(k, type.key, where),
        );
        return [column, mutator, ['set', keys]];
      }
      return [column, mutator, mapToWire(value, type, where)];
    default:
      if (kind === 'map') throw new Error(`${where}: arithmetic does not apply to maps`);
      return [column, mutator, atomToWire(value, type.key, where)];
  }
}

function columnsOf(t: TableSchema, columns: readonly string[]): string[] {
  for (const c of columns) requireColumn(t, c);
  return [...columns];
}
