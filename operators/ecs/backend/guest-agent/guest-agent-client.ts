// A client of the QEMU guest agent (qemu-ga) over the host end of its virtio-serial channel.
// The channel is a byte pipe that outlives both ends: the agent may have restarted in the middle
// of a command, or a reply to a command we gave up on may still be in the pipe. So before the
// first command, and after any that went wrong, the client resynchronises: it sends 0xFF (the
// agent's JSON parser drops what it held) and guest-sync-delimited with a fresh id, discards
// everything up to the 0xFF the agent puts before its reply, and accepts only the reply that
// carries that id. Commands then run one at a time, each answered in order.
import net from 'node:net';
import { isRecord, LineBuffer, VmError } from '../qemu/index.ts';

export class GuestAgentError extends VmError {
  /** QGA's error class when the agent answered with an error. */
  readonly errorClass: string | undefined;

  constructor(
    reason: 'GuestAgentUnavailable' | 'GuestCommandFailed',
    message: string,
    opts: { cause?: unknown; errorClass?: string } = {},
  ) {
    super(reason, message, { cause: opts.cause });
    this.name = 'GuestAgentError';
    this.errorClass = opts.errorClass;
  }
}

export interface GuestAgentOptions {
  /** Time a command (and the resync before it) may take; 10 s unless told. */
  timeoutMs?: number;
}

export interface ExecOptions {
  /** Given to the command on its stdin. */
  input?: string | Buffer;
  env?: string[];
  /** How long the command may run; 60 s unless told. */
  timeoutMs?: number;
}

export interface ExecResult {
  /** Undefined when a signal ended it. */
  exitCode?: number;
  signal?: number;
  stdout: string;
  stderr: string;
  /** The agent keeps at most 16 MiB of each stream. */
  truncated: boolean;
}

const resync = Buffer.from([0xff]);

function openSocket(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ path });
    const failed = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.once('error', failed);
    socket.once('connect', () => {
      socket.off('error', failed);
      resolve(socket);
    });
  });
}
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
/** Junk kept while looking for the 0xFF before a sync reply is capped. */
const maxJunk = 1024 * 1024;

export class GuestAgentClient {
  readonly path: string;
  private readonly socket: net.Socket;
  private readonly buffer = new LineBuffer();
  private readonly timeoutMs: number;
  private synced = false;
  /** Looking for the 0xFF that starts a sync reply. */
  private seekingDelimiter = false;
  private waiter: ((message: Record<string, unknown>) => void) | undefined;
  private closedWith: Error | undefined;
  private onClose: ((err: Error) => void) | undefined;
  /** Commands run one after another. */
  private queue: Promise<unknown> = Promise.resolve();
  private nextSyncId = Math.floor(Math.random() * 1_000_000_000);

  private constructor(socket: net.Socket, path: string, timeoutMs: number) {
    this.socket = socket;
    this.path = path;
    this.timeoutMs = timeoutMs;
    socket.on('data', (chunk: Buffer) => {
      this.receive(chunk);
    });
    socket.on('error', (err) => {
      this.closedWith ??= err;
    });
    socket.on('close', () => {
      this.closedWith ??= new Error('QEMU closed the guest agent channel');
      this.onClose?.(this.closedWith);
    });
  }

  /**
   * Connects to QEMU's end of the channel (which accepts whether or not the agent runs).
   * QEMU serves one client at a time and listens with a backlog of one: while another client
   * holds the channel, connections queue, and a client that gave up while queued stays in the
   * queue until QEMU reaches it. A full queue (EAGAIN) is the channel being busy, not gone, so
   * the connect is tried again until `timeoutMs` has passed.
   */
  static async connect(path: string, opts: GuestAgentOptions = {}): Promise<GuestAgentClient> {
    const timeoutMs = opts.timeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
      try {
        return new GuestAgentClient(await openSocket(path), path, timeoutMs);
      } catch (err) {
        const busy = (err as NodeJS.ErrnoException).code === 'EAGAIN';
        if (!busy || Date.now() + wait > deadline) {
          throw new GuestAgentError(
            'GuestAgentUnavailable',
            `the guest agent channel ${path} is not reachable: ${(err as Error).message}` +
              (busy ? ` (its queue stayed full for ${seconds(timeoutMs)})` : ''),
            { cause: err },
          );
        }
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  close(): void {
    this.socket.destroy();
  }

  /** Runs a command; resolves with its `return`. */
  execute<T = unknown>(
    command: string,
    args?: Record<string, unknown>,
    opts: { timeoutMs?: number } = {},
  ): Promise<T> {
    const run = this.queue.then(async () => {
      const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
      // Anything held now answers nothing we asked: start again from a sync.
      if (this.buffer.size > 0) this.synced = false;
      if (!this.synced) await this.sync(timeoutMs);
      const reply = await this.request(
        args === undefined ? { execute: command } : { execute: command, arguments: args },
        command,
        timeoutMs,
      );
      if ('return' in reply) return reply.return as T;
      const error = isRecord(reply.error) ? reply.error : {};
      const errorClass = typeof error.class === 'string' ? error.class : 'GenericError';
      throw new GuestAgentError(
        'GuestCommandFailed',
        `guest agent ${command}: ${typeof error.desc === 'string' ? error.desc : JSON.stringify(reply)}`,
        { errorClass },
      );
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Resolves when the agent answers; `GuestAgentUnavailable` when it does not in time. */
  async ping(): Promise<void> {
    await this.execute('guest-ping');
  }

  /**
   * Asks the guest to power off, halt or reboot. QGA answers guest-shutdown only when it
   * refuses: it is asked to answer a ping first (so a missing agent is an error, not a
   * success), and then no answer within `settleMs` is the guest going down as asked.
   */
  async shutdown(mode: 'powerdown' | 'halt' | 'reboot', settleMs = 3_000): Promise<void> {
    await this.ping();
    try {
      await this.execute('guest-shutdown', { mode }, { timeoutMs: settleMs });
    } catch (err) {
      if (err instanceof GuestAgentError && err.reason === 'GuestAgentUnavailable') return;
      throw err;
    }
  }

  async hostName(): Promise<string> {
    const r = await this.execute<{ 'host-name'?: string }>('guest-get-host-name');
    return String(r['host-name']);
  }

  /** The guest's logical CPUs and whether each is online. */
  async vcpus(): Promise<{ id: number; online: boolean }[]> {
    const list = await this.execute('guest-get-vcpus');
    return (Array.isArray(list) ? list.filter(isRecord) : []).map((c) => ({
      id: Number(c['logical-id']),
      online: c.online === true,
    }));
  }

  /** Brings these logical CPUs online (hot-plugged ones start offline in most guests). */
  async onlineVcpus(ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.execute('guest-set-vcpus', {
      vcpus: ids.map((id) => ({ 'logical-id': id, online: true })),
    });
  }

  /** The size of the guest's memory blocks (what it onlines memory in), in bytes. */
  async memoryBlockBytes(): Promise<number> {
    const r = await this.execute<{ size?: number }>('guest-get-memory-block-info');
    return Number(r.size);
  }

  /** The guest's memory blocks by physical index (address / block size), and whether online. */
  async memoryBlocks(): Promise<{ index: number; online: boolean }[]> {
    const list = await this.execute('guest-get-memory-blocks');
    return (Array.isArray(list) ? list.filter(isRecord) : []).map((b) => ({
      index: Number(b['phys-index']),
      online: b.online === true,
    }));
  }

  /**
   * Brings these memory blocks online (Linux leaves hot-added memory offline unless built or
   * told otherwise). The agent answers block by block: any that failed is an error naming it.
   */
  async onlineMemoryBlocks(indexes: number[]): Promise<void> {
    if (indexes.length === 0) return;
    const r = await this.execute('guest-set-memory-blocks', {
      'mem-blks': indexes.map((i) => ({ 'phys-index': i, online: true })),
    });
    const failed = (Array.isArray(r) ? r.filter(isRecord) : []).filter(
      (b) => b.response !== 'success',
    );
    if (failed.length > 0) {
      throw new GuestAgentError(
        'GuestCommandFailed',
        `guest agent guest-set-memory-blocks: ${failed
          .map(
            (b) =>
              `block ${String(b['phys-index'])}: ${String(b.response)}${typeof b['error-code'] === 'number' ? ` (errno ${String(b['error-code'])})` : ''}`,
          )
          .join(', ')}`,
      );
    }
  }

  /** Sets a guest user's password; the password travels base64-encoded, never logged. */
  async setUserPassword(username: string, password: string): Promise<void> {
    await this.execute('guest-set-user-password', {
      username,
      password: Buffer.from(password, 'utf8').toString('base64'),
      crypted: false,
    });
  }

  /** Runs `path args…` in the guest (no shell) and collects its exit code and output. */
  async exec(path: string, args: string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    const started = await this.execute<{ pid?: number }>('guest-exec', {
      path,
      arg: args,
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.input === undefined
        ? {}
        : { 'input-data': Buffer.from(opts.input).toString('base64') }),
      'capture-output': true,
    });
    const pid = Number(started.pid);
    const limit = opts.timeoutMs ?? 60_000;
    const deadline = Date.now() + limit;
    for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
      const s = await this.execute<Record<string, unknown>>('guest-exec-status', { pid });
      if (s.exited === true) {
        const decode = (v: unknown) =>
          typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '';
        return {
          ...(typeof s.exitcode === 'number' ? { exitCode: s.exitcode } : {}),
          ...(typeof s.signal === 'number' ? { signal: s.signal } : {}),
          stdout: decode(s['out-data']),
          stderr: decode(s['err-data']),
          truncated: s['out-truncated'] === true || s['err-truncated'] === true,
        };
      }
      if (Date.now() > deadline) {
        throw new GuestAgentError(
          'GuestCommandFailed',
          `guest-exec ${path}: still running after ${seconds(limit)} (guest pid ${String(pid)})`,
        );
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  /** Freezes the guest's filesystems for a consistent snapshot; the number frozen. */
  async freezeFilesystems(): Promise<number> {
    return Number(await this.execute('guest-fsfreeze-freeze'));
  }

  /** Thaws them; the number thawed. */
  async thawFilesystems(): Promise<number> {
    return Number(await this.execute('guest-fsfreeze-thaw'));
  }

  /** `thawed` or `frozen`. */
  async filesystemsFrozen(): Promise<boolean> {
    return (await this.execute('guest-fsfreeze-status')) === 'frozen';
  }

  private async sync(timeoutMs: number): Promise<void> {
    const id = this.nextSyncId++;
    this.seekingDelimiter = true;
    this.socket.write(resync);
    const deadline = Date.now() + timeoutMs;
    let reply = await this.request(
      { execute: 'guest-sync-delimited', arguments: { id } },
      'guest-sync-delimited',
      timeoutMs,
    );
    // A reply to an earlier sync we gave up on: the one we want follows its own 0xFF.
    while (reply.return !== id) {
      this.seekingDelimiter = true;
      reply = await this.request(undefined, 'guest-sync-delimited', deadline - Date.now());
    }
    this.synced = true;
  }

  /** Sends `message` (if any) and waits for the next complete message from the agent. */
  private request(
    message: Record<string, unknown> | undefined,
    command: string,
    timeoutMs: number,
  ): Promise<Record<string, unknown>> {
    if (this.closedWith) {
      return Promise.reject(
        new GuestAgentError(
          'GuestAgentUnavailable',
          `guest agent ${command}: the channel is closed (${this.closedWith.message})`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.waiter = undefined;
        this.onClose = undefined;
      };
      const timer = setTimeout(
        () => {
          done();
          // Whatever answers later is not taken for the next command's reply.
          this.synced = false;
          reject(
            new GuestAgentError(
              'GuestAgentUnavailable',
              `guest agent ${command}: no answer within ${seconds(timeoutMs)} (is qemu-guest-agent running in the guest?)`,
            ),
          );
        },
        Math.max(0, timeoutMs),
      );
      this.waiter = (m) => {
        done();
        resolve(m);
      };
      this.onClose = (err) => {
        done();
        this.synced = false;
        reject(
          new GuestAgentError(
            'GuestAgentUnavailable',
            `guest agent ${command}: the channel closed (${err.message})`,
            { cause: err },
          ),
        );
      };
      if (message !== undefined) this.socket.write(JSON.stringify(message) + '\n');
      this.pump();
    });
  }

  private receive(chunk: Buffer): void {
    this.buffer.append(chunk);
    this.pump();
  }

  /** Hands buffered messages to the waiting request, one per request. */
  private pump(): void {
    while (this.waiter) {
      if (this.seekingDelimiter) {
        if (!this.buffer.skipPast(0xff)) {
          if (this.buffer.size > maxJunk) this.buffer.clear();
          return;
        }
        this.seekingDelimiter = false;
      }
      const line = this.buffer.nextLine();
      if (line === undefined) return;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        // Noise on the channel: whatever comes next is suspect until the next sync.
        this.synced = false;
        continue;
      }
      if (isRecord(message)) this.waiter(message);
    }
  }
}
