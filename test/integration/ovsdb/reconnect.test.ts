// The client over a crashing and a frozen ovsdb-server: it reconnects by itself, rebuilds
// its replica from the server's state (rows deleted meanwhile are removed), fails what was in
// flight as "connection lost", and notices a server that stops answering echoes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Backoff } from '../../../controllers/informer/backoff.ts';
import { createLogger } from '../../../controllers/logging/logger.ts';
import {
  ConnectionLostError,
  NotConnectedError,
  OvsdbClient,
  nb,
  operationsFor,
  type ConnectionState,
  type RowChange,
} from '../../../controllers/ovsdb/index.ts';
import { waitFor } from '../../harness/index.ts';
import { OvsdbServer } from './server.ts';

const log = createLogger(
  'ovsdb-test',
  process.env.KCLOUD_TEST_LOG_LEVEL === 'debug' ? 'debug' : 'error',
);
// Connection losses are logged as warnings; here they are what the tests cause.
log.silent = process.env.KCLOUD_TEST_LOG_LEVEL !== 'debug';
const ops = operationsFor<nb.Tables>();

let server: OvsdbServer;

beforeAll(async () => {
  server = await OvsdbServer.start('reconnect');
});

afterAll(async () => {
  await server.cleanup();
});

function watchStates(client: OvsdbClient<nb.Tables>): ConnectionState[] {
  const states: ConnectionState[] = [];
  client.onConnectionState((s) => states.push(s));
  return states;
}

describe('a server that crashes and restarts', () => {
  it('is reconnected to, and the replica rebuilt without the rows deleted meanwhile', async () => {
    const client = OvsdbClient.connect<nb.Tables>({
      endpoints: [server.unixEndpoint, server.tcpEndpoint],
      database: 'OVN_Northbound',
      log,
      backoff: new Backoff(50, 500),
    });
    try {
      await client.monitor([{ table: 'Logical_Switch' }, { table: 'Logical_Switch_Port' }]);
      await client.waitConnected();
      await server.nbctl(
        ...['ls-add', 'stay', '--', 'lsp-add', 'stay', 'stay-0'],
        ...['--', 'ls-add', 'gone', '--', 'lsp-add', 'gone', 'gone-0'],
        ...['--', 'ls-add', 'changed'],
      );
      const switches = client.replica.table('Logical_Switch');
      const ports = client.replica.table('Logical_Switch_Port');
      await waitFor(() => switches.size === 3 && ports.size === 2, { what: 'the initial rows' });
      const stay = switches.find((s) => s.name === 'stay');
      const gone = switches.find((s) => s.name === 'gone');
      const gonePort = ports.find((p) => p.name === 'gone-0');
      const changes: RowChange<unknown>[] = [];
      client.replica.onChange((c) => changes.push(c));
      const states = watchStates(client);

      await server.kill9();
      await waitFor(() => states.some((s) => !s.connected), {
        what: 'the client to see the crash',
      });
      expect(client.connected).toBe(false);
      await expect(client.transact([ops.insert('Logical_Switch', { name: 'x' })])).rejects.toThrow(
        NotConnectedError,
      );

      // While the server is down, change its database file directly.
      await server.tool(
        'transact',
        server.db,
        JSON.stringify([
          'OVN_Northbound',
          { op: 'delete', table: 'Logical_Switch', where: [['name', '==', 'gone']] },
          {
            op: 'update',
            table: 'Logical_Switch',
            where: [['name', '==', 'changed']],
            row: { external_ids: ['map', [['while', 'down']]] },
          },
          { op: 'insert', table: 'Logical_Switch', row: { name: 'added' } },
        ]),
      );
      await server.restart();
      await waitFor(() => client.connected, { what: 'the client to reconnect', timeoutMs: 30_000 });

      expect(
        switches
          .rows()
          .map((s) => s.name)
          .sort(),
      ).toEqual(['added', 'changed', 'stay']);
      expect(switches.find((s) => s.name === 'changed')?.external_ids).toEqual({ while: 'down' });
      // The port of the deleted switch went with it: nothing referred to it any more.
      expect(ports.rows().map((p) => p.name)).toEqual(['stay-0']);
      // An unchanged row keeps its object.
      expect(switches.find((s) => s.name === 'stay')).toBe(stay);
      const summary = changes.map((c) => `${c.type} ${c.table} ${c.uuid}`);
      expect(summary).toEqual(
        expect.arrayContaining([
          `delete Logical_Switch ${gone?._uuid ?? ''}`,
          `delete Logical_Switch_Port ${gonePort?._uuid ?? ''}`,
        ]),
      );
      expect(changes.map((c) => c.type).sort()).toEqual(['delete', 'delete', 'insert', 'update']);
      expect(states.map((s) => s.connected)).toEqual([false, true]);

      const [r] = await client.transact([ops.insert('Logical_Switch', { name: 'after' })]);
      expect(switches.get(r.uuid)?.name).toBe('after');
    } finally {
      await client.close();
    }
  });
});

describe('a server that stops answering', () => {
  it('is declared dead after echoTimeoutMs, failing what was in flight, and reconnected to once it resumes', async () => {
    if (!server.running()) await server.restart();
    const client = OvsdbClient.connect<nb.Tables>({
      endpoints: [server.unixEndpoint],
      database: 'OVN_Northbound',
      log,
      echoIntervalMs: 100,
      echoTimeoutMs: 600,
      backoff: new Backoff(50, 200),
    });
    try {
      await client.monitor([{ table: 'Logical_Switch', columns: ['name'] }]);
      await client.waitConnected();
      const states = watchStates(client);

      server.signal('SIGSTOP');
      const inFlight = client.transact([ops.insert('Logical_Switch', { name: 'frozen' })]);
      await expect(inFlight).rejects.toThrow(ConnectionLostError);
      await expect(inFlight).rejects.toThrow('may or may not have taken effect');
      await waitFor(() => states.length > 0, { what: 'the disconnect to be reported' });
      expect(states[0]).toMatchObject({ connected: false });
      expect(states[0]?.error).toContain('(echo timeout)');
      expect(client.connected).toBe(false);

      server.signal('SIGCONT');
      await waitFor(() => client.connected, { what: 'the client to reconnect', timeoutMs: 30_000 });
      expect(states.at(-1)).toMatchObject({ connected: true });
      const [r] = await client.transact([ops.insert('Logical_Switch', { name: 'thawed' })]);
      expect(client.replica.table('Logical_Switch').get(r.uuid)?.name).toBe('thawed');
      // The replica matches the server, whether or not the frozen transaction committed.
      const names = (await server.nbctl('--bare', '--columns=name', 'list', 'Logical_Switch'))
        .split('\n')
        .filter(Boolean)
        .sort();
      expect(
        client.replica
          .table('Logical_Switch')
          .rows()
          .map((s) => s.name)
          .sort(),
      ).toEqual(names);
    } finally {
      await client.close();
    }
  });
});
