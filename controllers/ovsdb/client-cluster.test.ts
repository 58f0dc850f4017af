// The client against a scripted three-member cluster: it writes only through the leader,
// follows a leader change, resumes its monitors with only the difference reported, and sends a
// transaction lost with the old leader again only when doing so cannot double a row.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import winston from 'winston';
import { realClock } from '../clock/index.ts';
import { Backoff } from '../informer/backoff.ts';
import { OvsdbClient } from './client.ts';
import { ConnectionLostError, NotConnectedError } from './errors.ts';
import { FakeServer, reply, until, type Request } from './fake-server.ts';
import { operationsFor } from './operations.ts';
import type { TestTables } from './test-schema.ts';

const ops = operationsFor<TestTables>();
const p1 = '11111111-1111-4111-8111-111111111111';
const p2 = '22222222-2222-4222-8222-222222222222';
const p3 = '33333333-3333-4333-8333-333333333333';
const p4 = '44444444-4444-4444-8444-444444444444';

const member = (leader: boolean) => ({
  name: 'Test_DB',
  model: 'clustered',
  connected: true,
  leader,
  cid: ['uuid', 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'],
  index: 7,
});

describe('OvsdbClient against a clustered database', () => {
  let dir: string;
  let servers: FakeServer[];
  let sockets: string[];
  let logLines: Record<string, unknown>[];
  const clients: OvsdbClient<TestTables>[] = [];

  function connect(reconnectWaitMs = 5_000) {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        logLines.push(JSON.parse(line) as Record<string, unknown>);
      }
    });
    const client = OvsdbClient.connect<TestTables>({
      // One flag value naming every member, as ovn-nbctl --db takes them.
      endpoints: [sockets.map((s) => `unix:${s}`).join(',')],
      database: 'Test_DB',
      log: winston.createLogger({
        level: 'debug',
        format: winston.format.json(),
        transports: [new winston.transports.Stream({ stream })],
      }),
      clock: realClock,
      echoIntervalMs: 100,
      echoTimeoutMs: 10_000,
      backoff: new Backoff(5, 20, () => 0),
      reconnectWaitMs,
    });
    clients.push(client);
    return client;
  }

  /** Every member answers its monitor with `rows` of its own; transact as `onTransact` says. */
  function serve(
    rows: Record<string, unknown>[],
    onTransact: (i: number, req: Request, conn: import('node:net').Socket) => void = () =>
      undefined,
  ) {
    servers.forEach((server, i) => {
      server.handle = (req, conn) => {
        if (req.method === 'monitor_cond') reply(conn, req, { Logical_Switch_Port: rows[i] });
        else if (req.method === 'transact') onTransact(i, req, conn);
      };
    });
  }

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-ovsdb-cluster-'));
    logLines = [];
    servers = [new FakeServer(), new FakeServer(), new FakeServer()];
    sockets = servers.map((_, i) => path.join(dir, `m${String(i)}.sock`));
    await Promise.all(servers.map((s, i) => s.listen(sockets[i] as string)));
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('passes over followers and a disconnected member to the leader', async () => {
    const [a, b, c] = servers as [FakeServer, FakeServer, FakeServer];
    a.serverRow = member(false);
    b.serverRow = { ...member(true), connected: false };
    c.serverRow = member(true);
    serve([{}, {}, {}]);
    const client = connect();
    await client.monitor([{ table: 'Logical_Switch_Port', columns: ['name'] }]);
    // Only the leader was asked for the database: the others were left after `_Server`.
    expect([a, b, c].map((s) => s.count('get_schema'))).toEqual([0, 0, 1]);
    expect([a, b, c].map((s) => s.count('monitor_cond'))).toEqual([0, 0, 1]);
    expect(a.serverRequests[0]?.params).toEqual([
      '_Server',
      'kcloud-server',
      {
        Database: [
          {
            columns: ['name', 'model', 'connected', 'leader', 'cid', 'index'],
            where: [['name', '==', 'Test_DB']],
          },
        ],
      },
    ]);
  });

  it('follows a leader change: monitors resume and only the difference is reported', async () => {
    const [a, b, c] = servers as [FakeServer, FakeServer, FakeServer];
    a.serverRow = member(true);
    b.serverRow = member(false);
    c.serverRow = member(false);
    serve([
      {
        [p1]: { initial: { name: 'kept' } },
        [p2]: { initial: { name: 'changed' } },
        [p3]: { initial: { name: 'deleted' } },
      },
      {},
      // The new leader has what was committed meanwhile.
      {
        [p1]: { initial: { name: 'kept' } },
        [p2]: { initial: { name: 'changed-2' } },
        [p4]: { initial: { name: 'added' } },
      },
    ]);
    const client = connect();
    const changes: string[] = [];
    client.replica.table('Logical_Switch_Port').onChange((ch) => {
      changes.push(`${ch.type} ${ch.new?.name ?? ch.old?.name ?? ''}`);
    });
    await client.monitor([{ table: 'Logical_Switch_Port', columns: ['name'] }]);
    const kept = client.replica.table('Logical_Switch_Port').get(p1);
    changes.length = 0;

    // The leader steps down (a transfer, or it lost its majority); c is elected.
    c.setServerRow({ leader: true });
    a.setServerRow({ leader: false });
    await until('the move to the new leader', () => c.count('monitor_cond') === 1);
    await until('connected again', () => client.connected);

    expect(changes.sort()).toEqual(['delete deleted', 'insert added', 'update changed-2']);
    // An unchanged row is the same object: nothing was dropped and added again.
    expect(client.replica.table('Logical_Switch_Port').get(p1)).toBe(kept);
    expect(
      client.replica
        .table('Logical_Switch_Port')
        .rows()
        .map((r) => r.name)
        .sort(),
    ).toEqual(['added', 'changed-2', 'kept']);
    const leaderLines = logLines.filter((l) => l.message === 'ovsdb leader changed');
    expect(leaderLines).toEqual([
      expect.objectContaining({
        database: 'Test_DB',
        endpoint: `unix:${sockets[2] as string}`,
        previousLeader: `unix:${sockets[0] as string}`,
        model: 'clustered',
      }),
    ]);
  });

  it('sends a repeatable transaction lost with the old leader once more, to the new one', async () => {
    const [a, b, c] = servers as [FakeServer, FakeServer, FakeServer];
    a.serverRow = member(true);
    b.serverRow = member(false);
    c.serverRow = member(false);
    serve([{}, {}, {}], (i, req, conn) => {
      if (i === 0) {
        // The leader dies with the transaction in flight; c takes over.
        c.serverRow = member(true);
        a.serverRow = member(false);
        conn.destroy();
      } else {
        reply(conn, req, [{ uuid: ['uuid', p1] }, { count: 1 }]);
      }
    });
    const client = connect();
    await client.monitor([{ table: 'Logical_Switch_Port', columns: ['name'] }]);
    // Repeatable: Logical_Switch_Port's name is a unique index, and adding to a set twice is
    // adding once. Had the first attempt committed, the repeat would fail, not double the port.
    const [inserted] = await client.transact([
      ops.insert('Logical_Switch_Port', { name: 'nic-1' }, 'p'),
      ops.mutate('Logical_Switch', [['name', '==', 'sw']], [['ports', 'insert', 'p']]),
    ]);
    expect(inserted.uuid).toBe(p1);
    expect([a, b, c].map((s) => s.count('transact'))).toEqual([1, 0, 1]);
  });

  it('never sends an unrepeatable transaction twice: the caller learns the outcome is unknown', async () => {
    const [a, b, c] = servers as [FakeServer, FakeServer, FakeServer];
    a.serverRow = member(true);
    b.serverRow = member(false);
    c.serverRow = member(false);
    serve([{}, {}, {}], (i, req, conn) => {
      if (i === 0) {
        c.serverRow = member(true);
        a.serverRow = member(false);
        conn.destroy();
      } else reply(conn, req, [{ uuid: ['uuid', p2] }]);
    });
    const client = connect();
    await client.monitor([{ table: 'Logical_Switch_Port', columns: ['name'] }]);
    // No unique index is set and nothing guards it: a second insert would be a second row.
    await expect(
      client.transact([ops.insert('Logical_Switch_Port', { addresses: ['dynamic'] })]),
    ).rejects.toThrow(ConnectionLostError);
    await until('connected to the new leader', () => client.connected);
    expect([a, b, c].map((s) => s.count('transact'))).toEqual([1, 0, 0]);
  });

  it('reports a repeat refused by its guard as an unknown outcome, not a refusal', async () => {
    const [a, b, c] = servers as [FakeServer, FakeServer, FakeServer];
    a.serverRow = member(true);
    b.serverRow = member(false);
    c.serverRow = member(false);
    serve([{}, {}, {}], (i, req, conn) => {
      if (i === 0) {
        c.serverRow = member(true);
        a.serverRow = member(false);
        conn.destroy();
      } else {
        // The first attempt did commit: the name is taken now.
        reply(conn, req, [
          { uuid: ['uuid', p3] },
          { error: 'constraint violation', details: 'duplicate name nic-2' },
        ]);
      }
    });
    const client = connect();
    await client.monitor([{ table: 'Logical_Switch_Port', columns: ['name'] }]);
    const lost = client.transact([ops.insert('Logical_Switch_Port', { name: 'nic-2' })]);
    await expect(lost).rejects.toThrow(ConnectionLostError);
    await expect(lost).rejects.toThrow('most likely took effect the first time');
    expect(c.count('transact')).toBe(1);
  });

  it('holds a repeatable transaction until a leader is there, and fails an unrepeatable one at once', async () => {
    const [a, b, c] = servers as [FakeServer, FakeServer, FakeServer];
    a.serverRow = member(true);
    b.serverRow = member(false);
    c.serverRow = member(false);
    serve([{}, {}, {}], (_i, req, conn) => {
      reply(conn, req, [{ uuid: ['uuid', p4] }]);
    });
    const client = connect();
    await client.monitor([{ table: 'Logical_Switch_Port', columns: ['name'] }]);
    // An election: nobody leads for a while.
    a.setServerRow({ leader: false });
    await until('disconnected', () => !client.connected);
    await expect(client.transact([ops.insert('Logical_Switch', { name: 'x' })])).rejects.toThrow(
      NotConnectedError,
    );
    const held = client.transact([ops.insert('Logical_Switch_Port', { name: 'nic-3' })]);
    b.serverRow = member(true);
    const [inserted] = await held;
    expect(inserted.uuid).toBe(p4);
    expect([a, b, c].map((s) => s.count('transact'))).toEqual([0, 1, 0]);
  });
});
