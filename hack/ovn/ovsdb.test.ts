import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeClock, realClock } from '../../controllers/clock/index.ts';
import { ovnLayout } from './layout.ts';
import { compareVersions, ensureDatabase, listDbs, serves } from './ovsdb.ts';
import { systemTool } from './tools.ts';

type Behaviour = (socket: net.Socket, request: unknown) => void;

let dir = '';
const servers: net.Server[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-ovsdb-'));
});

afterAll(async () => {
  for (const s of servers) s.close();
  await rm(dir, { recursive: true, force: true });
});

/** A stand-in ovsdb-server on a unix socket that answers as `behaviour` says. */
async function fakeServer(name: string, behaviour: Behaviour): Promise<string> {
  const socketPath = path.join(dir, `${name}.sock`);
  const server = net.createServer((socket) => {
    socket.setEncoding('utf8');
    let buffer = '';
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      try {
        behaviour(socket, JSON.parse(buffer));
      } catch {
        // Not a whole request yet.
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return socketPath;
}

describe('asking an ovsdb-server for its databases', () => {
  it('sends list_dbs and reads a reply that arrives in pieces', async () => {
    let seen: unknown;
    const socketPath = await fakeServer('split', (socket, request) => {
      seen = request;
      const { id } = request as { id: number };
      const reply = JSON.stringify({ id, result: ['OVN_Northbound', '_Server'], error: null });
      socket.write(reply.slice(0, 10));
      setTimeout(() => socket.write(reply.slice(10)), 20);
    });
    expect(await listDbs({ path: socketPath }, realClock)).toEqual(['OVN_Northbound', '_Server']);
    expect(seen).toEqual({ method: 'list_dbs', params: [], id: 0 });
    expect(await serves({ path: socketPath }, 'OVN_Northbound', realClock)).toBe(true);
    expect(await serves({ path: socketPath }, 'OVN_Southbound', realClock)).toBe(false);
  });

  it('fails on an error reply, a malformed reply and a closed connection', async () => {
    const failing = await fakeServer('error', (socket) => {
      socket.write(JSON.stringify({ id: 0, result: null, error: 'unknown method' }));
    });
    await expect(listDbs({ path: failing }, realClock)).rejects.toThrow('unknown method');
    const malformed = await fakeServer('malformed', (socket) => {
      socket.write(JSON.stringify({ id: 0, result: [1, 2], error: null }));
    });
    await expect(listDbs({ path: malformed }, realClock)).rejects.toThrow('unexpected');
    const closing = await fakeServer('closing', (socket) => {
      socket.end();
    });
    await expect(listDbs({ path: closing }, realClock)).rejects.toThrow('closed');
    expect(await serves({ path: closing }, 'OVN_Northbound', realClock)).toBe(false);
  });

  it('gives up on a server that never answers', async () => {
    const silent = await fakeServer('silent', () => undefined);
    const clock = new FakeClock();
    const asked = listDbs({ path: silent }, clock, 500);
    await clock.advance(499);
    let settled = false;
    void asked.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    await clock.advance(1);
    await expect(asked).rejects.toThrow('no answer within 500 ms');
  });

  it('fails when nothing listens', async () => {
    await expect(listDbs({ path: path.join(dir, 'absent.sock') }, realClock)).rejects.toThrow(
      'ENOENT',
    );
  });
});

describe('a database made by another OVN', () => {
  /** A one-table schema; each version adds a column, as OVN's schemas grow. */
  async function schema(version: string, columns: string[]): Promise<string> {
    const file = path.join(dir, `test-${version}.ovsschema`);
    const cols = Object.fromEntries(columns.map((c) => [c, { type: 'string' }]));
    await writeFile(file, JSON.stringify({ name: 'T', version, tables: { t: { columns: cols } } }));
    return file;
  }

  it('is converted to a newer schema, kept at its own, and refused by an older one', async () => {
    const layout = ovnLayout(path.join(dir, 'run'));
    const db = path.join(dir, 'versions.db');
    const v70 = await schema('7.0.0', ['a']);
    const v711 = await schema('7.11.0', ['a', 'b']);
    expect(await ensureDatabase(layout, db, v70, systemTool)).toBe('created');
    expect(await ensureDatabase(layout, db, v711, systemTool)).toBe('converted');
    expect(await ensureDatabase(layout, db, v711, systemTool)).toBe('kept');
    await expect(ensureDatabase(layout, db, v70, systemTool)).rejects.toThrow(
      'newer than this OVN',
    );
  });

  it('orders schema versions by number, not as text', () => {
    expect(compareVersions('7.11.0', '7.0.0')).toBeGreaterThan(0);
    expect(compareVersions('20.27.0', '20.41.0')).toBeLessThan(0);
    expect(compareVersions('8.3.1', '8.3.1')).toBe(0);
  });
});
