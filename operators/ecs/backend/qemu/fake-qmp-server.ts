// For unit tests only: a unix-socket server speaking QMP as QEMU 7.2 does (greeting, capability
// negotiation, replies carrying the request's id, events at any time). `handle` answers each
// command; returning undefined leaves it unanswered.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { LineBuffer } from './json-lines.ts';

export interface FakeCommand {
  execute: string;
  arguments?: Record<string, unknown>;
  id?: unknown;
}

export type FakeReply = { return: unknown } | { error: { class: string; desc: string } };

export type FakeHandler = (
  cmd: FakeCommand,
  server: FakeQmpServer,
) => FakeReply | undefined | Promise<FakeReply | undefined>;

export class FakeQmpServer {
  readonly path: string;
  readonly received: FakeCommand[] = [];
  handle: FakeHandler = () => ({ return: {} });
  /** When false, a connection gets no greeting (QEMU busy with another client). */
  greet = true;

  private readonly dir: string;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(dir: string, server: net.Server) {
    this.dir = dir;
    this.path = path.join(dir, 'qmp.sock');
    this.server = server;
  }

  static async start(): Promise<FakeQmpServer> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-qmp-'));
    const server = net.createServer();
    const fake = new FakeQmpServer(dir, server);
    server.on('connection', (s) => {
      fake.accept(s);
    });
    await new Promise<void>((resolve) => server.listen(fake.path, resolve));
    return fake;
  }

  /** Sends an event to every connected client. */
  emit(event: string, data: Record<string, unknown> = {}): void {
    this.send({ event, data, timestamp: { seconds: 1, microseconds: 2 } });
  }

  /** Writes raw text to every client (split replies, garbage). */
  sendRaw(text: string): void {
    for (const s of this.sockets) s.write(text);
  }

  /** Drops every client, as QEMU does when it exits. */
  dropClients(): void {
    for (const s of this.sockets) s.destroy();
  }

  get clients(): number {
    return this.sockets.size;
  }

  async stop(): Promise<void> {
    this.dropClients();
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
    await rm(this.dir, { recursive: true, force: true });
  }

  private send(message: unknown): void {
    for (const s of this.sockets) s.write(JSON.stringify(message) + '\r\n');
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    if (this.greet) {
      socket.write(
        JSON.stringify({
          QMP: {
            version: { qemu: { micro: 22, minor: 2, major: 7 }, package: 'fake' },
            capabilities: ['oob'],
          },
        }) + '\r\n',
      );
    }
    const buffer = new LineBuffer();
    socket.on('data', (chunk: Buffer) => {
      for (const line of buffer.push(chunk)) {
        const cmd = JSON.parse(line) as FakeCommand;
        this.received.push(cmd);
        void Promise.resolve(this.handle(cmd, this)).then((reply) => {
          if (reply !== undefined && !socket.destroyed) {
            socket.write(JSON.stringify({ ...reply, id: cmd.id }) + '\r\n');
          }
        });
      }
    });
  }
}
