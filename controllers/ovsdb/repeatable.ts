// Which transactions the client may send again on its own after a lost connection.
//
// A transaction whose reply was lost (the leader died, the connection broke) may have
// committed, and with a clustered database it may even commit after we reconnected: the new
// leader commits the old leader's replicated entries when it takes over. Sending it again must
// therefore be harmless if the first attempt did take effect. The rule:
//
// - an insert is repeatable only when a second one cannot make a second row: its table has a
//   unique index whose columns the row sets (Logical_Switch_Port.name, Port_Group.name: the
//   repeat fails with a constraint violation), or the same transaction waits on that table
//   for the absence of rows (the `wait` `until: ==` `rows: []` guard our writers put before
//   an owned root row, which a repeat finds no longer true);
// - a mutation is repeatable unless it is arithmetic: inserting into or deleting from a set or
//   a map twice is the same as once; `+=` twice is not;
// - updates, deletes, waits, selects, comments and asserts are repeatable.
//
// A repeatable transaction is sent again once the client is connected to the leader again; if
// that repeat is refused after a lost first attempt, the first one most likely committed, and
// the caller is told the outcome is unknown (ConnectionLostError), never a refusal. Any other
// transaction is never sent twice by the client: the caller gets ConnectionLostError and
// decides again from the replica, which the client reloads from the new leader before it
// reports itself connected. Writers whose inserts have no such guard (an ACL added to a set)
// could still double a row in the instant between a new leader's election and its commit of
// the old term's entries; they guard the insert with a `wait` on the holder's set (the VPC
// operator's ACL writer does), so that the late commit makes their new attempt fail.
import type { Operation } from './operations.ts';
import type { DatabaseSchema } from './schema.ts';

const setMutators = new Set(['insert', 'delete']);

/** Whether the transaction can be sent twice without doubling anything (see the file's rule). */
export function isRepeatable(ops: readonly Operation[], schema: DatabaseSchema): boolean {
  // A wait for the absence of rows (until ==, no rows) is the guard; any other wait is not.
  const waitedOn = new Set(
    ops
      .filter((o) => o.op === 'wait' && o.until === '==' && o.rows.length === 0)
      .map((o) => (o as { table: string }).table),
  );
  return ops.every((op) => {
    switch (op.op) {
      case 'insert': {
        if (waitedOn.has(op.table)) return true;
        const indexes = schema.tables[op.table]?.indexes ?? [];
        const row = op.row as Record<string, unknown>;
        return indexes.some(
          (columns) => columns.length > 0 && columns.every((c) => row[c] !== undefined),
        );
      }
      case 'mutate':
        return op.mutations.every((m) => setMutators.has(m[1]));
      default:
        return true;
    }
  });
}
