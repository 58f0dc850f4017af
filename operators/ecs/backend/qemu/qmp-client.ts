// A client of QEMU's machine protocol (QMP) over its unix socket: the greeting, capability
// negotiation, commands matched to their replies by id, and asynchronous events. QEMU serves
// one QMP client at a time, so a second client waits without a greeting until the first goes.
import net from 'node:net';
import { VmError } from './errors.ts';
import { isRecord, LineBuffer } from './json-lines.ts';

export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

export interface QmpGreeting {
  /** QEMU's version as it says it (`7.2.22`). */
  version: string;
  capabilities: string[];
}

/** QEMU answered with an error: `errorClass` is QMP's (`GenericError`, `DeviceNotFound`, …). */
export class QmpCommandError extends VmError {
  readonly command: string;
  readonly errorClass: string;
  readonly desc: string;

  constructor(command: string, errorClass: string, desc: string) {
    super('CommandFailed', `QMP ${command}: ${desc}`);
    this.name = 'QmpCommandError';
    this.command = command;
    this.errorClass = errorClass;
    this.desc = desc;
  }
}

/** The monitor did not answer in time, or went away: QEMU is stuck, busy or gone. */
export class QmpUnavailableError extends VmError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('MonitorUnavailable', message, opts);
    this.name = 'QmpUnavailableError';
  }
}

export interface QmpConnectOptions {
  /** For connecting, the greeting and capability negotiation together; 10 s unless told. */
  timeoutMs?: number;
  /** Default time a command may take; 30 s unless told. */
  commandTimeoutMs?: number;
}

export interface QmpExecuteOptions {
  timeoutMs?: number;
}

export interface WaitForEventOptions {
  /** Further condition on the event (its data). */
  match?: (event: QmpEvent) => boolean;
  timeoutMs: number;
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

type EventListener = (event: QmpEvent) => void;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export class QmpClient {
  readonly path: string;
  greeting: QmpGreeting = { version: 'unknown', capabilities: [] };
  /** Resolves once the connection is gone, with why when it was not closed by `close()`. */
  readonly closed: Promise<Error | undefined>;

  private readonly socket: net.Socket;
  private readonly buffer = new LineBuffer();
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<EventListener>();
  private readonly commandTimeoutMs: number;
  private nextId = 1;
  private closeReason: Error | undefined;
  private isClosed = false;
  private onGreeting: ((message: Record<string, unknown>) => void) | undefined;
  private markClosed!: (reason: Error | undefined) => void;

  private constructor(socket: net.Socket, path: string, commandTimeoutMs: number) {
    this.socket = socket;
    this.path = path;
    this.commandTimeoutMs = commandTimeoutMs;
    this.closed = new Promise((resolve) => {
      this.markClosed = resolve;
    });
    socket.on('data', (chunk: Buffer) => {
      this.receive(chunk);
    });
    socket.on('error', (err) => {
      this.closeReason ??= err;
    });
    socket.on('close', () => {
      this.shutDown(this.closeReason ?? new Error('QEMU closed the monitor connection'));
    });
  }

  /** Connects, reads the greeting and leaves capability negotiation mode. */
  static async connect(path: string, opts: QmpConnectOptions = {}): Promise<QmpClient> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const socket = net.createConnection({ path });
    const client = new QmpClient(socket, path, opts.commandTimeoutMs ?? 30_000);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new QmpUnavailableError(
            `QMP at ${path} did not greet within ${seconds(timeoutMs)} (QEMU serves one monitor client at a time: is another connected?)`,
          ),
        );
      }, timeoutMs);
    });
    try {
      const greeting = new Promise<Record<string, unknown>>((resolve, reject) => {
        client.onGreeting = resolve;
        void client.closed.then((why) => {
          reject(
            new QmpUnavailableError(
              `QMP at ${path} is not reachable: ${why?.message ?? 'closed before its greeting'}`,
              { cause: why },
            ),
          );
        });
      });
      const hello = await Promise.race([greeting, deadline]);
      client.greeting = parseGreeting(hello);
      await Promise.race([client.execute('qmp_capabilities', undefined, { timeoutMs }), deadline]);
      return client;
    } catch (err) {
      client.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  get open(): boolean {
    return !this.isClosed;
  }

  /** Runs a command; resolves with its `return`, rejects with `QmpCommandError` or unavailability. */
  execute<T = unknown>(
    command: string,
    args?: Record<string, unknown>,
    opts: QmpExecuteOptions = {},
  ): Promise<T> {
    if (this.isClosed) {
      return Promise.reject(
        new QmpUnavailableError(
          `QMP ${command}: the monitor connection is closed (${this.closeReason?.message ?? 'closed'})`,
        ),
      );
    }
    const id = `kc-${String(this.nextId++)}`;
    const timeoutMs = opts.timeoutMs ?? this.commandTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A late reply finds no entry and is dropped.
        this.pending.delete(id);
        reject(
          new QmpUnavailableError(
            `QMP ${command} got no answer within ${seconds(timeoutMs)}: QEMU is stuck or overloaded`,
          ),
        );
      }, timeoutMs);
      this.pending.set(id, {
        command,
        resolve: resolve as (v: unknown) => void,
        reject,
        timer,
      });
      const message =
        args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      this.socket.write(JSON.stringify(message) + '\n');
    });
  }

  /** Calls `listener` for every event until the returned function is called. */
  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The next event named `name` (and matching): call it before the command that causes the
   * event, which may arrive before the command's reply.
   */
  waitForEvent(name: string, opts: WaitForEventOptions): Promise<QmpEvent> {
    const p = new Promise<QmpEvent>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        off();
      };
      const off = this.onEvent((e) => {
        if (e.event === name && (opts.match?.(e) ?? true)) {
          done();
          resolve(e);
        }
      });
      const timer = setTimeout(() => {
        done();
        reject(new QmpUnavailableError(`no ${name} event within ${seconds(opts.timeoutMs)}`));
      }, opts.timeoutMs);
      void this.closed.then((why) => {
        done();
        reject(
          new QmpUnavailableError(
            `the monitor connection closed while waiting for ${name}: ${why?.message ?? 'closed'}`,
            { cause: why },
          ),
        );
      });
    });
    // A waiter given up by its caller (the command before it failed) is no unhandled rejection.
    p.catch(() => undefined);
    return p;
  }

  /** Closes the connection; pending commands reject. QEMU keeps running. */
  close(): void {
    this.socket.destroy();
    this.shutDown(undefined);
  }

  private shutDown(reason: Error | undefined): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closeReason = reason;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(
        new QmpUnavailableError(
          `QMP ${p.command}: the monitor connection closed before the answer (${reason?.message ?? 'closed by us'})`,
          { cause: reason },
        ),
      );
    }
    this.markClosed(reason);
  }

  private receive(chunk: Buffer): void {
    for (const line of this.buffer.push(chunk)) {
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        this.closeReason = new Error(`QMP sent something that is not JSON: ${line.slice(0, 200)}`);
        this.socket.destroy();
        return;
      }
      if (isRecord(message)) this.dispatch(message);
    }
  }

  private dispatch(message: Record<string, unknown>): void {
    if ('QMP' in message) {
      this.onGreeting?.(message);
      this.onGreeting = undefined;
      return;
    }
    if (typeof message.event === 'string') {
      const event: QmpEvent = {
        event: message.event,
        data: isRecord(message.data) ? message.data : {},
      };
      if (isRecord(message.timestamp)) {
        event.timestamp = {
          seconds: Number(message.timestamp.seconds),
          microseconds: Number(message.timestamp.microseconds),
        };
      }
      for (const l of [...this.listeners]) l(event);
      return;
    }
    const id = typeof message.id === 'string' ? message.id : undefined;
    const p = id === undefined ? undefined : this.pending.get(id);
    if (p === undefined || id === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if ('return' in message) {
      p.resolve(message.return);
      return;
    }
    const error = isRecord(message.error) ? message.error : {};
    p.reject(
      new QmpCommandError(
        p.command,
        typeof error.class === 'string' ? error.class : 'GenericError',
        typeof error.desc === 'string' ? error.desc : JSON.stringify(message),
      ),
    );
  }
}

function parseGreeting(message: Record<string, unknown>): QmpGreeting {
  const qmp = isRecord(message.QMP) ? message.QMP : {};
  const version = isRecord(qmp.version) && isRecord(qmp.version.qemu) ? qmp.version.qemu : {};
  return {
    version: [version.major, version.minor, version.micro]
      .map((n) => (typeof n === 'number' ? String(n) : '?'))
      .join('.'),
    capabilities: Array.isArray(qmp.capabilities)
      ? qmp.capabilities.filter((c): c is string => typeof c === 'string')
      : [],
  };
}
