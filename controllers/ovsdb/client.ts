import { realClock, type Clock } from '../clock/index.ts';
import { Backoff } from '../informer/backoff.ts';
import type { Logger } from '../logging/logger.ts';
import { dial, parseEndpoints, type Endpoint, type TlsFiles } from './connection.ts';
import {
  ConnectionLostError,
  NotConnectedError,
  RpcError,
  TransactionError,
  errorMessage,
} from './errors.ts';
import { JsonRpcSession } from './json-rpc.ts';
import {
  conditionToWire,
  describeOperation,
  operationToWire,
  resultFromWire,
  type ColumnName,
  type Condition,
  type GenericRow,
  type Operation,
  type TransactionResults,
} from './operations.ts';
import { isRepeatable } from './repeatable.ts';
import { Replica, type MonitoredTable } from './replica.ts';
import { parseSchema, requireColumn, tableSchema, type DatabaseSchema } from './schema.ts';
import {
  NotLeaderError,
  applyServerUpdate,
  serverMonitorId,
  serverMonitorParams,
  unusableBecause,
  type DatabaseStatus,
} from './server-status.ts';

export interface OvsdbClientOptions {
  /**
   * Tried in turn, one per attempt: `unix:/path`, `tcp:host:port` or `ssl:host:port`; an entry
   * may hold several separated by commas, as ovn-nbctl's --db takes a cluster's members.
   */
  endpoints: readonly string[];
  /** The client certificate, key and CA for `ssl:` endpoints (required when there are any). */
  tls?: TlsFiles;
  database: string;
  log: Logger;
  clock?: Clock;
  /** How often we send an echo request to the server. */
  echoIntervalMs?: number;
  /**
   * Nothing heard from the server for this long closes the connection, which then reconnects;
   * it also bounds how long opening a connection may take.
   */
  echoTimeoutMs?: number;
  /**
   * Delays between rounds of connection attempts (each remote tried once per round); reset
   * once a connection is fully set up.
   */
  backoff?: Backoff;
  /**
   * How long a transaction that is safe to send again (repeatable.ts) waits for the client to
   * be connected to the leader again, before it fails with NotConnectedError.
   */
  reconnectWaitMs?: number;
}

export interface MonitorRequest<Tables extends object, N extends keyof Tables & string> {
  table: N;
  /** The columns the replica's rows carry; all of them when absent. */
  columns?: readonly ColumnName<Tables[N]>[];
  /**
   * Rows matching ANY of these are replicated (monitor_cond ORs its conditions, where a
   * transaction's `where` ANDs them); `true` matches every row. All rows when absent.
   */
  where?: readonly (Condition<Tables[N]> | boolean)[];
}

export type MonitorRequests<Tables extends object> = {
  [N in keyof Tables & string]: MonitorRequest<Tables, N>;
}[keyof Tables & string];

export interface ConnectionState {
  connected: boolean;
  endpoint: string;
  /** Why the connection ended, when it did. */
  error?: string;
  /** How the server holds the database: `standalone` or `clustered` (then we hold its leader). */
  model?: string;
}

interface MonitorEntry {
  id: string;
  requests: readonly { table: string; columns?: readonly string[]; where?: readonly unknown[] }[];
  /** Resolved by the first load of the replica, or rejected if the server refuses the monitor. */
  first: { settled: boolean; resolve: () => void; reject: (err: Error) => void };
}

interface MonitorState {
  loaded: boolean;
  /** update2 notifications that arrived before the reply's rows were loaded. */
  queued: unknown[];
}

interface Session {
  rpc: JsonRpcSession;
  endpoint: string;
  schema: DatabaseSchema;
  monitors: Map<string, MonitorState>;
  ready: boolean;
  /** The server's `_Server` row for our database; undefined for a server without `_Server`. */
  status: DatabaseStatus | undefined;
}

/** A transaction lost with its connection is sent again at most this many times. */
const maxRepeats = 2;

/**
 * An OVSDB client (RFC 7047 with the ovsdb-server extensions): transactions, a replica of the
 * monitored tables kept by `monitor_cond`, echo keepalives both ways, and reconnection with
 * backoff across the endpoints. After a reconnection every monitor is sent again and the
 * replica is rebuilt from the reply, so rows deleted meanwhile are removed (and reported).
 *
 * With a clustered (Raft) database it follows the leader: on each connection it reads the
 * server's `_Server` row for the database and keeps watching it; a member that is not the
 * connected leader is left for the next remote, and so is one that stops being it. The
 * replica is then rebuilt from the new leader as above: listeners see only the difference
 * (rows written or removed meanwhile), never a phantom delete and re-add of unchanged rows.
 * Transactions that cannot double anything when sent twice (repeatable.ts) wait for the new
 * leader and are sent again; others fail as they did and the caller decides again.
 *
 * `Tables` maps table names to row types (see nb/tables.ts); it types `replica.table()` and
 * `monitor()`. Integers are JS numbers: values beyond 2^53 lose precision.
 */
export class OvsdbClient<Tables extends object = Record<string, GenericRow>> {
  readonly replica: Replica<Tables>;
  readonly database: string;
  private readonly endpoints: readonly Endpoint[];
  private readonly tls: TlsFiles | undefined;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly echoIntervalMs: number;
  private readonly echoTimeoutMs: number;
  private readonly backoff: Backoff;
  private readonly stop = new AbortController();
  private readonly monitors = new Map<string, MonitorEntry>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private connectedWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private session: Session | undefined;
  /** The schema of the last connection: says which transactions are repeatable meanwhile. */
  private lastSchema: DatabaseSchema | undefined;
  private readonly reconnectWaitMs: number;
  /** The clustered leader we last held, to log each change of leader once. */
  private lastLeader: string | undefined;
  private lostAt: number | undefined;
  private nextMonitorId = 1;
  private readonly running: Promise<void>;

  private constructor(opts: OvsdbClientOptions) {
    this.endpoints = parseEndpoints(opts.endpoints);
    if (this.endpoints.length === 0) throw new Error('OvsdbClient: no endpoints');
    const ssl = this.endpoints.filter((e) => e.kind === 'ssl');
    if (ssl.length > 0 && !opts.tls) {
      throw new Error(
        `OvsdbClient: ${ssl.map((e) => e.address).join(', ')} needs a client key, certificate and CA`,
      );
    }
    this.tls = opts.tls;
    this.database = opts.database;
    this.log = opts.log;
    this.clock = opts.clock ?? realClock;
    this.echoIntervalMs = opts.echoIntervalMs ?? 5000;
    this.echoTimeoutMs = opts.echoTimeoutMs ?? 15_000;
    if (!(this.echoIntervalMs > 0 && this.echoTimeoutMs > this.echoIntervalMs)) {
      throw new Error('OvsdbClient: echoTimeoutMs must be greater than echoIntervalMs > 0');
    }
    this.backoff = opts.backoff ?? new Backoff();
    this.reconnectWaitMs = opts.reconnectWaitMs ?? 10_000;
    this.replica = new Replica<Tables>(opts.log);
    this.running = this.run();
  }

  /**
   * Starts connecting in the background and returns at once: use waitConnected() to wait for
   * the first connection. The client keeps reconnecting until close().
   */
  static connect<Tables extends object = Record<string, GenericRow>>(
    opts: OvsdbClientOptions,
  ): OvsdbClient<Tables> {
    return new OvsdbClient<Tables>(opts);
  }

  /** True while a connection is up and every monitor's rows are loaded. */
  get connected(): boolean {
    return this.session?.ready === true;
  }

  /** The schema of the server we are connected to. */
  get schema(): DatabaseSchema | undefined {
    return this.session?.schema;
  }

  /** Resolves once connected (now, if already); rejects if the client is closed. */
  waitConnected(signal?: AbortSignal): Promise<void> {
    if (this.stop.signal.aborted) return Promise.reject(new Error('OvsdbClient is closed'));
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.connectedWaiters = this.connectedWaiters.filter((w) => w !== waiter);
        reject(signal?.reason as Error);
      };
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (err: Error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      };
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.connectedWaiters.push(waiter);
    });
  }

  /** Whether the client is connected within `ms` (false when it closes first). */
  private async connectedWithin(ms: number): Promise<boolean> {
    const abort = new AbortController();
    const timer = this.clock.setTimer(() => {
      abort.abort(new Error('timed out'));
    }, ms);
    try {
      await this.waitConnected(abort.signal);
      return true;
    } catch {
      return false;
    } finally {
      timer.cancel();
    }
  }

  /** Called on every connect and disconnect; returns the unsubscribe function. */
  onConnectionState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => {
      this.stateListeners.delete(listener);
    };
  }

  /**
   * Runs the operations as one transaction. If one fails the server rolls back all of them
   * and this rejects with a TransactionError naming the operation.
   *
   * A repeatable transaction (repeatable.ts: sending it twice cannot double a row) waits up to
   * `reconnectWaitMs` for a connection, and is sent again on the new connection when the old
   * one dropped before the reply. Any other one rejects at once with NotConnectedError when
   * there is no connection (nothing was sent), and with ConnectionLostError when the
   * connection drops before the reply: it may or may not have committed, so read the state
   * (the replica, reloaded on the next connection) before deciding to retry.
   */
  async transact<const O extends readonly Operation[]>(ops: O): Promise<TransactionResults<O>> {
    let lost: ConnectionLostError | undefined;
    for (let sent = 0; ;) {
      const session = this.session;
      if (!session?.ready) {
        const schema = this.lastSchema;
        if (!schema || !isRepeatable(ops, schema)) {
          throw lost ?? new NotConnectedError(`not connected to ${this.database}`);
        }
        if (!(await this.connectedWithin(this.reconnectWaitMs))) {
          throw (
            lost ??
            new NotConnectedError(
              `not connected to ${this.database} within ${String(this.reconnectWaitMs)} ms`,
            )
          );
        }
        continue;
      }
      try {
        sent++;
        return await this.transactOn(session, ops);
      } catch (err) {
        if (err instanceof NotConnectedError) {
          // Closed between our look and the send: nothing went out. Let the close settle.
          sent--;
          session.ready = false;
          continue;
        }
        if (err instanceof ConnectionLostError) {
          if (sent > maxRepeats || !isRepeatable(ops, session.schema)) throw err;
          lost = err;
          this.log.info('ovsdb sending a transaction again after a lost connection', {
            database: this.database,
            endpoint: session.endpoint,
            operations: ops.length,
          });
          continue;
        }
        if (lost && err instanceof TransactionError) {
          // The guard that makes it repeatable refused the repeat: the first one committed.
          throw new ConnectionLostError(
            `${lost.message}; sending it again was refused (${err.message}), so it most likely took effect the first time`,
            { cause: err },
          );
        }
        throw err;
      }
    }
  }

  private async transactOn<const O extends readonly Operation[]>(
    session: Session,
    ops: O,
  ): Promise<TransactionResults<O>> {
    const wire = ops.map((op) => operationToWire(op, session.schema));
    const reply = await session.rpc.request('transact', [this.database, ...wire]);
    if (!Array.isArray(reply)) throw new Error('transact: the reply is not an array');
    const results = reply as unknown[];
    for (const [i, r] of results.entries()) {
      if (r && typeof r === 'object' && 'error' in r) {
        const e = r as { error: unknown; details?: unknown };
        throw new TransactionError(
          i,
          describeOperation(ops[i], i),
          String(e.error),
          typeof e.details === 'string' ? e.details : undefined,
          results,
        );
      }
    }
    return ops.map((op, i) =>
      resultFromWire(op, results[i], session.schema),
    ) as TransactionResults<O>;
  }

  /**
   * Replicates tables into `replica` with monitor_cond, now and after every reconnection.
   * Resolves once their rows are loaded the first time. A table can be in one monitor only.
   */
  monitor(requests: readonly MonitorRequests<Tables>[]): Promise<void> {
    if (this.stop.signal.aborted) return Promise.reject(new Error('OvsdbClient is closed'));
    const monitored = new Set<string>();
    for (const m of this.monitors.values()) for (const r of m.requests) monitored.add(r.table);
    for (const r of requests) {
      if (monitored.has(r.table)) {
        return Promise.reject(new Error(`table ${r.table} is already monitored`));
      }
      monitored.add(r.table);
    }
    return new Promise((resolve, reject) => {
      const entry: MonitorEntry = {
        id: `kcloud-${String(this.nextMonitorId++)}`,
        requests,
        first: { settled: false, resolve, reject },
      };
      this.monitors.set(entry.id, entry);
      const session = this.session;
      if (session) {
        this.startMonitor(session, entry).catch((err: unknown) => {
          if (err instanceof RpcError) this.refuseMonitor(entry, err);
          // Anything else leaves the replica unsure: a new connection loads it again.
          else session.rpc.close(err instanceof Error ? err : new Error(String(err)));
        });
      }
    });
  }

  /** Stops reconnecting, closes the connection and rejects whatever still waits on it. */
  async close(): Promise<void> {
    if (!this.stop.signal.aborted) {
      this.stop.abort(new Error('OvsdbClient closed'));
      const closed = new Error('OvsdbClient is closed');
      for (const w of this.connectedWaiters.splice(0)) w.reject(closed);
      for (const m of this.monitors.values()) rejectFirst(m, closed);
    }
    await this.running;
  }

  private async run(): Promise<void> {
    const signal = this.stop.signal;
    // Attempts since the last ready connection ended: each remote is tried once in a round,
    // one after the other, and only a whole round that failed waits out the backoff (a
    // cluster's next member is tried at once when its leader goes away).
    let failures = 0;
    for (let attempt = 0; !signal.aborted; attempt++) {
      const endpoint = this.endpoints[attempt % this.endpoints.length] as Endpoint;
      try {
        if (await this.connectOnce(endpoint)) failures = 0;
      } catch (err) {
        if (isAborted(signal)) break;
        if (err instanceof NotLeaderError) {
          this.log.debug('ovsdb member cannot take writes, trying the next', {
            database: this.database,
            endpoint: endpoint.address,
            reason: err.message,
          });
        } else {
          this.log.warn('ovsdb connection failed', {
            database: this.database,
            endpoint: endpoint.address,
            error: errorMessage(err),
          });
        }
      }
      if (isAborted(signal)) break;
      failures++;
      if (failures % this.endpoints.length !== 0) continue;
      const delay = this.backoff.next();
      this.log.debug('ovsdb reconnecting', {
        database: this.database,
        retryInMs: Math.round(delay),
      });
      try {
        await this.clock.sleep(delay, signal);
      } catch {
        break;
      }
    }
  }

  /**
   * One connection, from dialing to its end; returns when a ready connection closes (true), or
   * throws when it could not be set up.
   */
  private async connectOnce(endpoint: Endpoint): Promise<boolean> {
    const socket = await dial(endpoint, {
      timeoutMs: this.echoTimeoutMs,
      clock: this.clock,
      signal: this.stop.signal,
      ...(this.tls ? { tls: this.tls } : {}),
    });
    let session: Session | undefined;
    const rpc = new JsonRpcSession(socket, {
      peer: endpoint.address,
      log: this.log,
      keepalive: {
        intervalMs: this.echoIntervalMs,
        timeoutMs: this.echoTimeoutMs,
        clock: this.clock,
      },
      onNotification: (method, params) => {
        if (isServerUpdate(method, params)) {
          const update = (params as unknown[])[1];
          // Updates that follow the reply in the same read come before the reply is handled.
          if (!serverLoaded) {
            serverQueue.push(update);
            return;
          }
          // Throwing closes this connection: the client moves on to another member.
          status = applyServerUpdate(status, update);
          if (session) session.status = status;
          const why = unusableBecause(this.database, status);
          if (why) throw new NotLeaderError(why);
        } else if (session) this.onNotification(session, method, params);
      },
    });
    let status: DatabaseStatus | undefined;
    let serverLoaded = false;
    const serverQueue: unknown[] = [];
    const onStop = () => {
      rpc.close(new Error('the client was closed'));
    };
    this.stop.signal.addEventListener('abort', onStop, { once: true });
    try {
      const first = await this.serverStatus(rpc);
      if (first !== 'none') {
        status = first;
        for (const update of serverQueue.splice(0)) status = applyServerUpdate(status, update);
        serverLoaded = true;
        const why = unusableBecause(this.database, status);
        if (why) throw new NotLeaderError(why);
      }
      const schema = parseSchema(await rpc.request('get_schema', [this.database]));
      session = {
        rpc,
        endpoint: endpoint.address,
        schema,
        monitors: new Map(),
        ready: false,
        status,
      };
      this.session = session;
      this.lastSchema = schema;
      const started = [...this.monitors.values()].map(async (entry) => {
        try {
          await this.startMonitor(session as Session, entry);
        } catch (err) {
          // The server refused a monitor nobody has seen loaded yet: give it back to its caller
          // rather than failing every connection over it.
          if (err instanceof RpcError && !entry.first.settled) this.refuseMonitor(entry, err);
          else throw err;
        }
      });
      await Promise.all(started);
      session.ready = true;
      for (const entry of this.monitors.values()) {
        if (session.monitors.get(entry.id)?.loaded) resolveFirst(entry);
      }
      this.backoff.reset();
      this.logConnected(session);
      const model = session.status?.model ?? 'standalone';
      this.notifyState({ connected: true, endpoint: endpoint.address, model });
      for (const w of this.connectedWaiters.splice(0)) w.resolve();
      const reason = await rpc.closed;
      session.ready = false;
      this.lostAt = this.clock.now();
      if (!this.stop.signal.aborted) {
        this.log.warn('ovsdb connection lost', {
          database: this.database,
          endpoint: endpoint.address,
          error: reason.message,
        });
      }
      this.notifyState({ connected: false, endpoint: endpoint.address, error: reason.message });
      return true;
    } finally {
      this.stop.signal.removeEventListener('abort', onStop);
      rpc.close(new Error('the connection setup failed'));
      if (this.session === session) this.session = undefined;
    }
  }

  /**
   * The server's `_Server` row for our database, watched from now on ('none' for a server
   * without `_Server`: a standalone one, as before clustering existed).
   */
  private async serverStatus(rpc: JsonRpcSession): Promise<DatabaseStatus | undefined | 'none'> {
    let reply: unknown;
    try {
      reply = await rpc.request('monitor_cond', serverMonitorParams(this.database));
    } catch (err) {
      if (err instanceof RpcError) return 'none';
      throw err;
    }
    return applyServerUpdate(undefined, reply);
  }

  /** One line per connection; for a clustered database it says when the leader changed. */
  private logConnected(session: Session): void {
    const status = session.status;
    const fields = {
      database: this.database,
      endpoint: session.endpoint,
      schemaVersion: session.schema.version,
      model: status?.model ?? 'standalone',
      ...(this.lostAt === undefined ? {} : { downMs: Math.round(this.clock.now() - this.lostAt) }),
    };
    if (status?.model !== 'clustered') {
      this.log.info('ovsdb connected', fields);
      return;
    }
    const previous = this.lastLeader;
    this.lastLeader = session.endpoint;
    if (previous !== undefined && previous !== session.endpoint) {
      this.log.info('ovsdb leader changed', {
        ...fields,
        previousLeader: previous,
        ...(status.cid ? { cid: status.cid } : {}),
        ...(status.index === undefined ? {} : { index: status.index }),
      });
    } else {
      this.log.info('ovsdb connected', {
        ...fields,
        leader: true,
        ...(status.cid ? { cid: status.cid } : {}),
      });
    }
  }

  private async startMonitor(session: Session, entry: MonitorEntry): Promise<void> {
    const state: MonitorState = { loaded: false, queued: [] };
    session.monitors.set(entry.id, state);
    const tables: MonitoredTable[] = [];
    const wire: Record<string, unknown[]> = {};
    try {
      for (const r of entry.requests) {
        const t = tableSchema(session.schema, r.table);
        const columns = r.columns ? [...r.columns] : Object.keys(t.columns);
        for (const c of columns) requireColumn(t, c);
        tables.push({ table: r.table, columns });
        const request: Record<string, unknown> = { columns };
        if (r.where) {
          request.where = r.where.map((c) => (typeof c === 'boolean' ? c : conditionToWire(t, c)));
        }
        wire[r.table] = [request];
      }
    } catch (err) {
      // An unknown table or column: the server would refuse it in the same way.
      throw new RpcError('monitor_cond', errorMessage(err));
    }
    const reply = await session.rpc.request('monitor_cond', [this.database, entry.id, wire]);
    this.replica.load(session.schema, tables, reply);
    for (const updates of state.queued) this.replica.apply(session.schema, updates);
    state.queued = [];
    state.loaded = true;
    // During connection setup the entries resolve once the connection is ready, so that
    // whoever awaited monitor() can transact straight away.
    if (session.ready) resolveFirst(entry);
  }

  private refuseMonitor(entry: MonitorEntry, err: Error): void {
    this.monitors.delete(entry.id);
    this.log.error('ovsdb monitor refused', { database: this.database, error: err.message });
    rejectFirst(entry, err);
  }

  private onNotification(session: Session, method: string, params: unknown): void {
    if (method === 'update2') {
      const [id, updates] = (Array.isArray(params) ? params : []) as unknown[];
      const state = typeof id === 'string' ? session.monitors.get(id) : undefined;
      if (!state) return;
      if (state.loaded) this.replica.apply(session.schema, updates);
      else state.queued.push(updates);
    } else if (method === 'monitor_canceled') {
      // The server dropped a monitor (its database went away): start over on a new connection.
      throw new Error(`the server canceled monitor ${JSON.stringify(params)}`);
    } else {
      this.log.debug('ovsdb notification ignored', { database: this.database, method });
    }
  }

  private notifyState(state: ConnectionState): void {
    for (const listener of this.stateListeners) {
      try {
        listener(state);
      } catch (err) {
        this.log.error('ovsdb connection state listener failed', { error: errorMessage(err) });
      }
    }
  }
}

function isServerUpdate(method: string, params: unknown): boolean {
  return method === 'update2' && Array.isArray(params) && params[0] === serverMonitorId;
}

// A function, so TypeScript does not assume the flag unchanged across awaits.
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

function resolveFirst(entry: MonitorEntry): void {
  if (entry.first.settled) return;
  entry.first.settled = true;
  entry.first.resolve();
}

function rejectFirst(entry: MonitorEntry, err: Error): void {
  if (entry.first.settled) return;
  entry.first.settled = true;
  entry.first.reject(err);
}
