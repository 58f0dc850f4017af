// A scripted OVSDB server for the client's unit tests.
import net from 'node:net';
import type { FakeClock } from '../clock/index.ts';
import { JsonStreamParser } from './json-stream.ts';
import { testSchemaJson } from './test-schema.ts';

export interface Request {
  method: string;
  params: unknown[];
  id: unknown;
}

const serverRowUuid = '00000000-0000-4000-8000-000000000001';

/**
 * A scripted OVSDB server on a unix socket: answers get_schema, echo and the `_Server` monitor
 * itself and hands every other request to `handle`, which replies (or not) through the
 * connection.
 */
export class FakeServer {
  readonly connections: net.Socket[] = [];
  /** Every request but those about `_Server`. */
  readonly requests: Request[] = [];
  readonly serverRequests: Request[] = [];
  answerEcho = true;
  /**
   * Its `_Server` row for the database (name, model, connected, leader, …); without one it
   * answers as a server that has no `_Server` database.
   */
  serverRow: Record<string, unknown> | undefined;
  private readonly serverWatchers = new Set<net.Socket>();
  handle: (req: Request, conn: net.Socket) => void = () => undefined;
  private readonly server: net.Server;

  constructor() {
    this.server = net.createServer((conn) => {
      this.connections.push(conn);
      const parser = new JsonStreamParser();
      conn.on('error', () => undefined);
      conn.on('data', (chunk: Buffer) => {
        for (const msg of parser.push(chunk) as Request[]) {
          if (msg.params[0] === '_Server') {
            this.serverRequests.push(msg);
            this.answerServer(msg, conn);
            continue;
          }
          this.requests.push(msg);
          if (msg.method === 'get_schema') reply(conn, msg, testSchemaJson);
          else if (msg.method === 'echo') {
            if (this.answerEcho) reply(conn, msg, msg.params);
          } else this.handle(msg, conn);
        }
      });
    });
  }

  /** Changes its `_Server` row and tells every connection that monitors it. */
  setServerRow(changes: Record<string, unknown>): void {
    this.serverRow = { ...this.serverRow, ...changes };
    for (const conn of this.serverWatchers) {
      send(conn, {
        method: 'update2',
        params: ['kcloud-server', { Database: { [serverRowUuid]: { modify: changes } } }],
        id: null,
      });
    }
  }

  private answerServer(msg: Request, conn: net.Socket): void {
    if (!this.serverRow) {
      reply(conn, msg, null, { error: 'unknown database', details: '_Server' });
      return;
    }
    this.serverWatchers.add(conn);
    conn.on('close', () => this.serverWatchers.delete(conn));
    reply(conn, msg, { Database: { [serverRowUuid]: { initial: this.serverRow } } });
  }

  listen(socket: string): Promise<void> {
    return new Promise((resolve) => this.server.listen(socket, resolve));
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  count(method: string): number {
    return this.requests.filter((r) => r.method === method).length;
  }
}

export function reply(
  conn: net.Socket,
  req: Request,
  result: unknown,
  error: unknown = null,
): void {
  conn.write(JSON.stringify({ id: req.id, result, error }));
}

export function send(conn: net.Socket, ...messages: unknown[]): void {
  conn.write(messages.map((m) => JSON.stringify(m)).join(''));
}

export async function until(what: string, probe: () => boolean, clock?: FakeClock): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (probe()) return;
    if (clock) await clock.advance(10);
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`timed out waiting for ${what}`);
}
