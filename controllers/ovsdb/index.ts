// An OVSDB (RFC 7047) client with a monitored replica, and typed rows for OVN's databases.
export {
  OvsdbClient,
  type ConnectionState,
  type MonitorRequest,
  type MonitorRequests,
  type OvsdbClientOptions,
} from './client.ts';
export {
  assert,
  comment,
  deleteRows,
  insert,
  mutate,
  operationsFor,
  select,
  update,
  wait,
  type AssertOp,
  type ColumnName,
  type CommentOp,
  type Condition,
  type ConditionFunction,
  type CountResult,
  type DeleteOp,
  type EmptyResult,
  type GenericRow,
  type InsertOp,
  type InsertResult,
  type MutateOp,
  type Mutation,
  type Mutator,
  type Operation,
  type OperationResult,
  type RowInput,
  type SelectOp,
  type SelectResult,
  type TransactionResults,
  type TypedOperations,
  type UpdateOp,
  type WaitOp,
  type WaitOptions,
} from './operations.ts';
export {
  Replica,
  TableReplica,
  type ChangeListener,
  type ChangeType,
  type RowChange,
} from './replica.ts';
export { ConnectionLostError, NotConnectedError, RpcError, TransactionError } from './errors.ts';
export { isRepeatable } from './repeatable.ts';
export { NotLeaderError, type DatabaseStatus } from './server-status.ts';
export { isUuid, isUuidName, type WireAtom, type WireValue } from './atoms.ts';
export {
  parseSchema,
  readSchemaFile,
  type BaseType,
  type ColumnSchema,
  type ColumnType,
  type DatabaseSchema,
  type TableSchema,
} from './schema.ts';
export { parseEndpoint, parseEndpoints, type Endpoint, type TlsFiles } from './connection.ts';
export * as nb from './nb/tables.ts';
