import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeClock, flushPromises, realClock, type Clock } from '../clock/index.ts';
import { Backoff } from '../informer/backoff.ts';
import { createLogger } from '../logging/logger.ts';
import { OvsdbClient, type ConnectionState } from './client.ts';
import { ConnectionLostError, NotConnectedError, TransactionError } from './errors.ts';
import { insert, operationsFor } from './operations.ts';
import { FakeServer, reply, send, until } from './fake-server.ts';
import { type TestTables } from './test-schema.ts';

const log = createLogger('ovsdb-client-test', 'error');
// Refusals and lost connections are logged as errors; here they are the point of the test.
log.silent = true;
const ops = operationsFor<TestTables>();
const sw1 = '11111111-1111-4111-8111-111111111111';
const sw2 = '22222222-2222-4222-8222-222222222222';

describe('OvsdbClient against a scripted server', () => {
  let dir: string;
  let socket: string;
  let server: FakeServer;
  const clients: OvsdbClient<TestTables>[] = [];

  function connect(opts: { clock?: Clock; endpoints?: string[]; echoTimeoutMs?: number } = {}) {
    const client = OvsdbClient.connect<TestTables>({
      endpoints: opts.endpoints ?? [`unix:${socket}`],
      database: 'Test_DB',
      log,
      clock: opts.clock ?? realClock,
      echoIntervalMs: 100,
      echoTimeoutMs: opts.echoTimeoutMs ?? 10_000,
      backoff: new Backoff(5, 20, () => 0),
    });
    clients.push(client);
    return client;
  }

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-ovsdb-'));
    socket = path.join(dir, 'db.sock');
    server = new FakeServer();
    await server.listen(socket);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a transaction before it is connected, without sending it', async () => {
    const client = connect({ endpoints: [`unix:${path.join(dir, 'absent.sock')}`] });
    await expect(client.transact([ops.insert('Logical_Switch', { name: 'a' })])).rejects.toThrow(
      NotConnectedError,
    );
    expect(client.connected).toBe(false);
  });

  it('applies update2 notifications that arrive in the same read as the monitor reply', async () => {
    server.handle = (req, conn) => {
      if (req.method !== 'monitor_cond') return;
      const id = req.params[1];
      send(
        conn,
        {
          id: req.id,
          result: { Logical_Switch: { [sw1]: { initial: { name: 'a' } } } },
          error: null,
        },
        {
          method: 'update2',
          params: [id, { Logical_Switch: { [sw1]: { modify: { name: 'b' } } } }],
          id: null,
        },
        {
          method: 'update2',
          params: [id, { Logical_Switch: { [sw2]: { insert: { name: 'c' } } } }],
          id: null,
        },
      );
    };
    const client = connect();
    await client.monitor([{ table: 'Logical_Switch', columns: ['name'] }]);
    // Once the monitor is loaded the connection is ready for transactions.
    expect(client.connected).toBe(true);
    await until('both updates', () => client.replica.table('Logical_Switch').size === 2);
    expect(client.replica.table('Logical_Switch').get(sw1)).toEqual({ _uuid: sw1, name: 'b' });
    expect(server.connections).toHaveLength(1);
    const monitorReq = server.requests.find((r) => r.method === 'monitor_cond');
    expect(monitorReq?.params).toEqual([
      'Test_DB',
      expect.any(String),
      { Logical_Switch: [{ columns: ['name'] }] },
    ]);
  });

  it('sends where conditions and all columns when none are named', async () => {
    server.handle = (req, conn) => {
      if (req.method === 'monitor_cond') reply(conn, req, {});
    };
    const client = connect();
    await client.monitor([
      { table: 'Logical_Switch_Port', where: [['options', 'includes', { vpc: 'a' }], false] },
    ]);
    expect(server.requests.find((r) => r.method === 'monitor_cond')?.params[2]).toEqual({
      Logical_Switch_Port: [
        {
          columns: ['name', 'addresses', 'tag', 'up', 'options'],
          where: [['options', 'includes', ['map', [['vpc', 'a']]]], false],
        },
      ],
    });
    await expect(client.monitor([{ table: 'Logical_Switch_Port' }])).rejects.toThrow(
      'table Logical_Switch_Port is already monitored',
    );
  });

  it('rejects a monitor the server refuses, and stays connected', async () => {
    server.handle = (req, conn) => {
      if (req.method === 'monitor_cond') {
        reply(conn, req, null, { error: 'syntax error', details: 'bad condition' });
      }
    };
    const client = connect();
    await client.waitConnected();
    await expect(client.monitor([{ table: 'Meter' }])).rejects.toThrow(
      'monitor_cond failed: syntax error: bad condition',
    );
    await expect(client.monitor([{ table: 'Nope' as 'Meter' }])).rejects.toThrow(
      'database Test_DB has no table Nope',
    );
    expect(client.connected).toBe(true);
    expect(server.connections).toHaveLength(1);
  });

  it('sends one transact and maps results; an error result names the operation', async () => {
    server.handle = (req, conn) => {
      if (req.method !== 'transact') return;
      if (req.params.length === 3) {
        reply(conn, req, [{ uuid: ['uuid', sw1] }, { count: 1 }]);
      } else {
        reply(conn, req, [
          { uuid: ['uuid', sw2] },
          { error: 'constraint violation', details: 'tag out of range' },
          null,
        ]);
      }
    };
    const client = connect();
    await client.waitConnected();
    const [inserted, mutated] = await client.transact([
      ops.insert('Logical_Switch', { name: 'a' }, 'a'),
      ops.mutate('Logical_Switch', [['name', '==', 'b']], [['ports', 'insert', 'a']]),
    ]);
    expect(inserted.uuid).toBe(sw1);
    expect(mutated.count).toBe(1);
    expect(server.requests.find((r) => r.method === 'transact')?.params).toEqual([
      'Test_DB',
      { op: 'insert', table: 'Logical_Switch', row: { name: 'a' }, 'uuid-name': 'a' },
      {
        op: 'mutate',
        table: 'Logical_Switch',
        where: [['name', '==', 'b']],
        mutations: [['ports', 'insert', ['set', [['named-uuid', 'a']]]]],
      },
    ]);
    const failed = client.transact([
      insert('Logical_Switch', {}),
      ops.insert('Logical_Switch_Port', { tag: 9999 }),
      ops.comment('x'),
    ]);
    await expect(failed).rejects.toThrow(TransactionError);
    await expect(failed).rejects.toThrow(
      'transaction failed at operation 1 (insert Logical_Switch_Port): constraint violation: tag out of range',
    );
    const err = (await failed.catch((e: unknown) => e)) as TransactionError;
    expect(err.index).toBe(1);
    expect(err.error).toBe('constraint violation');
    expect(err.details).toBe('tag out of range');
  });

  it('names the commit when the error comes after the last operation', async () => {
    server.handle = (req, conn) => {
      if (req.method === 'transact') {
        reply(conn, req, [{ uuid: ['uuid', sw1] }, { error: 'referential integrity violation' }]);
      }
    };
    const client = connect();
    await client.waitConnected();
    await expect(client.transact([ops.insert('Logical_Switch_Port', {})])).rejects.toThrow(
      'transaction failed at commit: referential integrity violation',
    );
  });

  it('fails a transaction in flight with ConnectionLostError, then reconnects and rebuilds the replica', async () => {
    let generation = 0;
    server.handle = (req, conn) => {
      if (req.method === 'monitor_cond') {
        generation++;
        const rows =
          generation === 1
            ? { [sw1]: { initial: { name: 'a' } }, [sw2]: { initial: { name: 'b' } } }
            : { [sw2]: { initial: { name: 'b2' } } };
        reply(conn, req, { Logical_Switch: rows });
      } else if (req.method === 'transact') {
        // Never answered: the connection drops first.
        conn.destroy();
      }
    };
    const client = connect();
    const states: ConnectionState[] = [];
    client.onConnectionState((s) => states.push(s));
    const changes: string[] = [];
    client.replica
      .table('Logical_Switch')
      .onChange((c) => changes.push(`${c.type} ${c.new?.name ?? c.old?.name ?? ''}`));
    await client.monitor([{ table: 'Logical_Switch', columns: ['name'] }]);
    await client.waitConnected();
    const lost = client.transact([ops.insert('Logical_Switch', { name: 'c' })]);
    await expect(lost).rejects.toThrow(ConnectionLostError);
    await expect(lost).rejects.toThrow('may or may not have taken effect');
    await until('the second monitor', () => generation === 2 && client.connected);
    expect(changes).toEqual(['insert a', 'insert b', 'delete a', 'update b2']);
    expect(client.replica.table('Logical_Switch').rows()).toEqual([{ _uuid: sw2, name: 'b2' }]);
    expect(states.map((s) => s.connected)).toEqual([true, false, true]);
    expect(server.connections).toHaveLength(2);
  });

  it('declares a silent server dead after echoTimeoutMs and connects again', async () => {
    const clock = new FakeClock(0);
    server.handle = (req, conn) => {
      if (req.method === 'monitor_cond') reply(conn, req, {});
    };
    const client = connect({ clock, echoTimeoutMs: 500 });
    await client.waitConnected();
    server.answerEcho = false;
    const states: ConnectionState[] = [];
    client.onConnectionState((s) => states.push(s));
    await clock.advance(499);
    await flushPromises();
    expect(client.connected).toBe(true);
    await clock.advance(1);
    await until('the disconnect', () => states.length === 1);
    expect(states[0]).toMatchObject({
      connected: false,
      error: expect.stringContaining('echo timeout'),
    });
    server.answerEcho = true;
    await until('the reconnection', () => client.connected, clock);
    expect(server.connections).toHaveLength(2);
    expect(server.count('echo')).toBeGreaterThanOrEqual(4);
  });

  it('rotates through the endpoints until one answers', async () => {
    const client = connect({
      endpoints: [`unix:${path.join(dir, 'absent.sock')}`, `unix:${socket}`],
    });
    await client.waitConnected();
    expect(server.connections).toHaveLength(1);
  });

  it('close() ends the connection and rejects those still waiting', async () => {
    const client = connect({ endpoints: [`unix:${path.join(dir, 'absent.sock')}`] });
    const waiting = client.waitConnected();
    const monitoring = client.monitor([{ table: 'Meter' }]);
    await client.close();
    await expect(waiting).rejects.toThrow('OvsdbClient is closed');
    await expect(monitoring).rejects.toThrow('OvsdbClient is closed');
    await expect(client.waitConnected()).rejects.toThrow('OvsdbClient is closed');
  });
});
