import { realClock, type Clock } from '../clock/index.ts';
import { Backoff } from '../informer/backoff.ts';
import type { Logger } from '../logging/logger.ts';
import { dial, parseEndpoint, type Endpoint, type TlsFiles } from './connection.ts';
import { NotConnectedError, RpcError, TransactionError, errorMessage } from './errors.ts';
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
import { Replica, type MonitoredTable } from './replica.ts';
import { parseSchema, requireColumn, tableSchema, type DatabaseSchema } from './schema.ts';

export interface OvsdbClientOptions {
  /** Tried in turn, one per attempt: `unix:/path`, `tcp:host:port` or `ssl:host:port`. */
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
  /** Delays between connection attempts; reset once a connection is fully set up. */
  backoff?: Backoff;
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
}

/**
 * An OVSDB client (RFC 7047 with the ovsdb-server extensions): transactions, a replica of the
 * monitored tables kept by `monitor_cond`, echo keepalives both ways, and reconnection with
 * backoff across the endpoints. After a reconnection every monitor is sent again and the
 * replica is rebuilt from the reply, so rows deleted meanwhile are removed (and reported).
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
  private nextMonitorId = 1;
  private readonly running: Promise<void>;

  private constructor(opts: OvsdbClientOptions) {
    if (opts.endpoints.length === 0) throw new Error('OvsdbClient: no endpoints');
    this.endpoints = opts.endpoints.map(parseEndpoint);
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

  /** Called on every connect and disconnect; returns the unsubscribe function. */
  onConnectionState(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => {
      this.stateListeners.delete(listener);
    };
  }

  /**
   * Runs the operations as one transaction. If one fails the server rolls back all of them
   * and this rejects with a TransactionError naming the operation. Without a connection it
   * rejects with NotConnectedError (nothing was sent); if the connection drops before the
   * reply, with ConnectionLostError: the transaction may or may not have committed, so read
   * the state before deciding to retry.
   */
  async transact<const O extends readonly Operation[]>(ops: O): Promise<TransactionResults<O>> {
    const session = this.session;
    if (!session?.ready) throw new NotConnectedError(`not connected to ${this.database}`);
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
    for (let attempt = 0; !signal.aborted; attempt++) {
      const endpoint = this.endpoints[attempt % this.endpoints.length] as Endpoint;
      try {
        await this.connectOnce(endpoint);
      } catch (err) {
        if (isAborted(signal)) break;
        this.log.warn('ovsdb connection failed', {
          database: this.database,
          endpoint: endpoint.address,
          error: errorMessage(err),
        });
      }
      if (isAborted(signal)) break;
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

  /** One connection, from dialing to its end; returns when a ready connection closes. */
  private async connectOnce(endpoint: Endpoint): Promise<void> {
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
        if (session) this.onNotification(session, method, params);
      },
    });
    const onStop = () => {
      rpc.close(new Error('the client was closed'));
    };
    this.stop.signal.addEventListener('abort', onStop, { once: true });
    try {
      const schema = parseSchema(await rpc.request('get_schema', [this.database]));
      session = { rpc, endpoint: endpoint.address, schema, monitors: new Map(), ready: false };
      this.session = session;
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
      this.log.info('ovsdb connected', {
        database: this.database,
        endpoint: endpoint.address,
        schemaVersion: schema.version,
      });
      this.notifyState({ connected: true, endpoint: endpoint.address });
      for (const w of this.connectedWaiters.splice(0)) w.resolve();
      const reason = await rpc.closed;
      if (!this.stop.signal.aborted) {
        this.log.warn('ovsdb connection lost', {
          database: this.database,
          endpoint: endpoint.address,
          error: reason.message,
        });
      }
      this.notifyState({ connected: false, endpoint: endpoint.address, error: reason.message });
    } finally {
      this.stop.signal.removeEventListener('abort', onStop);
      rpc.close(new Error('the connection setup failed'));
      if (this.session === session) this.session = undefined;
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
