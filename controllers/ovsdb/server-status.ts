// What a server says about one of its databases in its `_Server` database (ovsdb-server(5)):
// whether it is clustered, connected to its cluster and the cluster's leader. A client that
// writes follows the leader, as ovsdb-idl does with its leader-only default: a follower's copy
// may lag, and a member cut off from the majority serves a stale one.

/** The monitor id under which the client watches the `_Server` row of its database. */
export const serverMonitorId = 'kcloud-server';

export const serverColumns = ['name', 'model', 'connected', 'leader', 'cid', 'index'] as const;

export interface DatabaseStatus {
  name: string;
  /** `standalone`, `clustered`, `relay` or `backup` (an active-backup replica). */
  model: string;
  connected: boolean;
  leader: boolean;
  /** The cluster's id, when clustered. */
  cid?: string;
  /** The index of the last log entry this member applied, when clustered. */
  index?: number;
}

/** A clustered member that cannot take our writes: the client moves on to another remote. */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
}

/** The `monitor_cond` request (its params) for the database's row of `_Server`. */
export function serverMonitorParams(database: string): unknown[] {
  return [
    '_Server',
    serverMonitorId,
    { Database: [{ columns: [...serverColumns], where: [['name', '==', database]] }] },
  ];
}

function scalar(wire: unknown): unknown {
  // An optional column's empty value is an empty set; a uuid is ["uuid", "…"].
  if (Array.isArray(wire)) {
    if (wire[0] === 'set')
      return Array.isArray(wire[1]) && wire[1].length > 0 ? wire[1][0] : undefined;
    if (wire[0] === 'uuid') return wire[1];
  }
  return wire;
}

function fromColumns(
  old: DatabaseStatus | undefined,
  columns: Record<string, unknown>,
): DatabaseStatus {
  const row: Record<string, unknown> = { ...old };
  for (const c of serverColumns) {
    if (!Object.hasOwn(columns, c)) continue;
    const v = scalar(columns[c]);
    if (Array.isArray(v) && v[0] === 'uuid') row[c] = v[1];
    else row[c] = v;
  }
  const status: DatabaseStatus = {
    name: typeof row.name === 'string' ? row.name : '',
    model: typeof row.model === 'string' ? row.model : 'standalone',
    connected: row.connected === true,
    leader: row.leader === true,
  };
  if (typeof row.cid === 'string') status.cid = row.cid;
  if (typeof row.index === 'number') status.index = row.index;
  return status;
}

/**
 * Folds a monitor reply or an `update2` of `_Server`'s Database table into the row we follow
 * (undefined once it is deleted: the server stopped serving the database).
 */
export function applyServerUpdate(
  current: DatabaseStatus | undefined,
  updates: unknown,
): DatabaseStatus | undefined {
  const rows = (updates as { Database?: Record<string, Record<string, unknown>> } | null)?.Database;
  let status = current;
  for (const u of Object.values(rows ?? {})) {
    const full = u.initial ?? u.insert;
    if (full && typeof full === 'object')
      status = fromColumns(undefined, full as Record<string, unknown>);
    else if (u.modify && typeof u.modify === 'object') {
      // Every column we follow holds one value: a modify carries its new value.
      status = fromColumns(status, u.modify as Record<string, unknown>);
    } else if ('delete' in u) status = undefined;
  }
  return status;
}

/**
 * Why this server's copy of `database` must not be used for writes, or undefined when it may:
 * a standalone database always may; a clustered one only on the connected leader.
 */
export function unusableBecause(
  database: string,
  status: DatabaseStatus | undefined,
): string | undefined {
  if (!status) return `the server does not serve ${database}`;
  if (status.model !== 'clustered') return undefined;
  if (!status.connected) return `this member of ${database} is not connected to its cluster`;
  if (!status.leader) return `this member of ${database} is not the cluster's leader`;
  return undefined;
}
