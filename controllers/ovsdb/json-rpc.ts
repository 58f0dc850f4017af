import type { Duplex } from 'node:stream';
import type { Clock, Timer } from '../clock/index.ts';
import type { Logger } from '../logging/logger.ts';
import { ConnectionLostError, NotConnectedError, RpcError, errorMessage } from './errors.ts';
import { JsonStreamParser } from './json-stream.ts';

export interface KeepaliveOptions {
  /** An echo request is sent this often. */
  intervalMs: number;
  /** Nothing received for this long (not even an echo reply) means the peer is gone. */
  timeoutMs: number;
  clock: Clock;
}

export interface JsonRpcSessionOptions {
  /** Names the peer in errors and logs, e.g. "unix:/run/ovn/ovnnb_db.sock". */
  peer: string;
  log: Logger;
  /**
   * Each notification (a message with a method and a null id), synchronously and in arrival
   * order, so a reply and the notifications after it are seen in the order the peer sent them.
   * If it throws, the session closes with that error.
   */
  onNotification: (method: string, params: unknown) => void;
  keepalive?: KeepaliveOptions;
}

interface Pending {
  method: string;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
}

interface Message {
  id?: unknown;
  method?: unknown;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

/**
 * JSON-RPC 1.0 over a byte stream, as RFC 7047 uses it: requests with ids, replies matched by
 * id, notifications with a null id, and `echo` requests from the peer answered with their own
 * params. With `keepalive`, it sends echo requests of its own and closes the session when the
 * peer stays silent for `timeoutMs`.
 */
export class JsonRpcSession {
  /** Resolves with the reason once the session has closed, whatever closed it. */
  readonly closed: Promise<Error>;
  private readonly stream: Duplex;
  private readonly opts: JsonRpcSessionOptions;
  private readonly parser = new JsonStreamParser();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private isClosed = false;
  private resolveClosed: (reason: Error) => void = () => undefined;
  private lastReceivedAt = 0;
  private nextEchoAt = 0;
  private keepaliveTimer: Timer | undefined;

  constructor(stream: Duplex, opts: JsonRpcSessionOptions) {
    this.stream = stream;
    this.opts = opts;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    stream.on('data', (chunk: Buffer) => {
      this.onData(chunk);
    });
    stream.on('error', (err) => {
      this.close(err);
    });
    stream.on('close', () => {
      this.close(new Error('the connection was closed'));
    });
    stream.on('end', () => {
      this.close(new Error('the peer closed the connection'));
    });
    if (opts.keepalive) {
      const now = opts.keepalive.clock.now();
      this.lastReceivedAt = now;
      this.nextEchoAt = now + opts.keepalive.intervalMs;
      this.scheduleKeepalive();
    }
  }

  get peer(): string {
    return this.opts.peer;
  }

  /**
   * Sends a request; resolves with its result. Rejects with RpcError for an error reply,
   * ConnectionLostError if the session closes first, NotConnectedError if it already had.
   */
  request(method: string, params: unknown): Promise<unknown> {
    if (this.isClosed) {
      return Promise.reject(
        new NotConnectedError(`connection to ${this.opts.peer} is closed; ${method} not sent`),
      );
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { method, resolve, reject });
      this.send({ method, params, id });
    });
  }

  /** Requests sent and not yet answered. */
  inFlight(): number {
    return this.pending.size;
  }

  close(reason: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.keepaliveTimer?.cancel();
    this.stream.destroy();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      p.reject(
        new ConnectionLostError(
          `connection to ${this.opts.peer} lost before ${p.method} was answered (${reason.message}); ` +
            'it may or may not have taken effect',
        ),
      );
    }
    this.resolveClosed(reason);
  }

  private hasClosed(): boolean {
    return this.isClosed;
  }

  private send(message: Message): void {
    this.stream.write(JSON.stringify(message));
  }

  private onData(chunk: Buffer): void {
    if (this.isClosed) return;
    if (this.opts.keepalive) this.lastReceivedAt = this.opts.keepalive.clock.now();
    let messages: unknown[];
    try {
      messages = this.parser.push(chunk);
    } catch (err) {
      this.close(new Error(`protocol error from ${this.opts.peer}: ${errorMessage(err)}`));
      return;
    }
    for (const message of messages) {
      // A message before this one may have closed the session.
      if (this.hasClosed()) return;
      try {
        this.dispatch(message);
      } catch (err) {
        this.close(err instanceof Error ? err : new Error(String(err)));
        return;
      }
    }
  }

  private dispatch(raw: unknown): void {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new Error(`protocol error from ${this.opts.peer}: a message is not a JSON object`);
    }
    const msg = raw as Message;
    if (typeof msg.method === 'string') {
      if (msg.id === null || msg.id === undefined) {
        this.opts.onNotification(msg.method, msg.params);
      } else if (msg.method === 'echo') {
        this.send({ id: msg.id, result: msg.params, error: null });
      } else {
        this.opts.log.debug('ovsdb peer sent an unsupported request', {
          peer: this.opts.peer,
          method: msg.method,
        });
        this.send({ id: msg.id, result: null, error: `unknown method ${msg.method}` });
      }
      return;
    }
    const pending = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (!pending) {
      this.opts.log.debug('ovsdb reply matches no request', {
        peer: this.opts.peer,
        id: msg.id,
      });
      return;
    }
    this.pending.delete(msg.id as number);
    if (msg.error !== null && msg.error !== undefined) {
      pending.reject(new RpcError(pending.method, msg.error));
    } else {
      pending.resolve(msg.result);
    }
  }

  private scheduleKeepalive(): void {
    const ka = this.opts.keepalive;
    if (!ka || this.isClosed) return;
    const now = ka.clock.now();
    const deadline = this.lastReceivedAt + ka.timeoutMs;
    this.keepaliveTimer = ka.clock.setTimer(
      () => {
        this.keepaliveTick();
      },
      Math.max(0, Math.min(this.nextEchoAt, deadline) - now),
    );
  }

  private keepaliveTick(): void {
    const ka = this.opts.keepalive;
    if (!ka || this.isClosed) return;
    const now = ka.clock.now();
    if (now - this.lastReceivedAt >= ka.timeoutMs) {
      this.close(
        new Error(
          `no message from ${this.opts.peer} for ${String(ka.timeoutMs)} ms (echo timeout)`,
        ),
      );
      return;
    }
    if (now >= this.nextEchoAt) {
      this.nextEchoAt = now + ka.intervalMs;
      // The reply only matters as traffic; a lost connection is reported through `closed`.
      this.request('echo', []).catch(() => undefined);
    }
    this.scheduleKeepalive();
  }
}
