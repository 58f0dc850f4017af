// For unit tests only: the host end of a guest agent channel with a qemu-ga behind it, as
// qemu-ga 7.2 speaks: 0xFF resets its parser, guest-sync-delimited is answered after a 0xFF,
// everything else with one JSON line. `handle` answers; undefined leaves a command unanswered.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { LineBuffer } from '../qemu/index.ts';

export interface AgentCommand {
  execute: string;
  arguments?: Record<string, unknown>;
}

export type AgentReply =
  | { return: unknown }
  | { error: { class: string; desc: string } }
  /** Bytes written as they are (stale replies, noise). */
  | { raw: Buffer };

export class FakeGuestAgent {
  readonly path: string;
  readonly received: AgentCommand[] = [];
  /** 0xFF bytes received (resync requests). */
  resyncs = 0;
  handle: (cmd: AgentCommand) => AgentReply | undefined = (cmd) => this.standard(cmd);

  private readonly dir: string;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(dir: string, server: net.Server) {
    this.dir = dir;
    this.path = path.join(dir, 'qga.sock');
    this.server = server;
  }

  static async start(): Promise<FakeGuestAgent> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-qga-'));
    const server = net.createServer();
    const fake = new FakeGuestAgent(dir, server);
    server.on('connection', (s) => {
      fake.accept(s);
    });
    await new Promise<void>((resolve) => server.listen(fake.path, resolve));
    return fake;
  }

  /** What qemu-ga answers, for the commands the client uses. */
  standard(cmd: AgentCommand): AgentReply | undefined {
    const a = cmd.arguments ?? {};
    switch (cmd.execute) {
      case 'guest-sync-delimited':
        return { raw: Buffer.from(`\xff${JSON.stringify({ return: a.id })}\n`, 'latin1') };
      case 'guest-ping':
        return { return: {} };
      default:
        return {
          error: {
            class: 'CommandNotFound',
            desc: `The command ${cmd.execute} has not been found`,
          },
        };
    }
  }

  write(bytes: Buffer | string): void {
    for (const s of this.sockets) s.write(bytes);
  }

  dropClients(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.dropClients();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
    await rm(this.dir, { recursive: true, force: true });
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const buffer = new LineBuffer();
    socket.on('data', (chunk: Buffer) => {
      const clean = Buffer.from(chunk.filter((b) => b !== 0xff));
      this.resyncs += chunk.length - clean.length;
      for (const line of buffer.push(clean)) {
        const cmd = JSON.parse(line) as AgentCommand;
        this.received.push(cmd);
        const reply = this.handle(cmd);
        if (reply === undefined) continue;
        socket.write('raw' in reply ? reply.raw : JSON.stringify(reply) + '\n');
      }
    });
  }
}
