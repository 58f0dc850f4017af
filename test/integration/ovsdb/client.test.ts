// The OVSDB client against a real ovsdb-server with OVN's northbound schema: transactions,
// their failures and rollback, and the monitored replica following ovn-nbctl's changes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger } from '../../../controllers/logging/logger.ts';
import {
  OvsdbClient,
  TransactionError,
  nb,
  operationsFor,
  type RowChange,
} from '../../../controllers/ovsdb/index.ts';
import { waitFor } from '../../harness/index.ts';
import { OvsdbServer } from './server.ts';

const log = createLogger(
  'ovsdb-test',
  process.env.KCLOUD_TEST_LOG_LEVEL === 'debug' ? 'debug' : 'error',
);
const ops = operationsFor<nb.Tables>();

let server: OvsdbServer;
let client: OvsdbClient<nb.Tables>;

beforeAll(async () => {
  server = await OvsdbServer.start('client');
  client = OvsdbClient.connect<nb.Tables>({
    endpoints: [server.unixEndpoint],
    database: 'OVN_Northbound',
    log,
  });
  await client.waitConnected();
});

afterAll(async () => {
  await client.close();
  await server.cleanup();
});

describe('transact', () => {
  it('inserts rows that refer to each other by uuid-name, and selects them back', async () => {
    const [port, sw, selected] = await client.transact([
      ops.insert(
        'Logical_Switch_Port',
        {
          name: 'web-0',
          addresses: ['0a:00:00:00:00:01 10.1.0.10'],
          external_ids: { vm: 'web-0' },
        },
        'port',
      ),
      ops.insert(
        'Logical_Switch',
        { name: 'web', ports: ['port'], external_ids: { vpc: 'a' } },
        'sw',
      ),
      ops.select(
        'Logical_Switch',
        [['name', '==', 'web']],
        ['_uuid', 'name', 'ports', 'external_ids'],
      ),
    ]);
    expect(selected.rows).toEqual([
      { _uuid: sw.uuid, name: 'web', ports: [port.uuid], external_ids: { vpc: 'a' } },
    ]);
    expect(
      await server.nbctl(
        '--bare',
        '--columns=name',
        'find',
        'Logical_Switch_Port',
        'external_ids:vm=web-0',
      ),
    ).toBe('web-0');
  });

  it('works the same over TCP', async () => {
    const tcp = OvsdbClient.connect<nb.Tables>({
      endpoints: [server.tcpEndpoint],
      database: 'OVN_Northbound',
      log,
    });
    try {
      await tcp.waitConnected();
      const [r] = await tcp.transact([
        ops.select('Logical_Switch', [['name', '==', 'web']], ['name']),
      ]);
      expect(r.rows).toEqual([{ name: 'web' }]);
    } finally {
      await tcp.close();
    }
  });

  it('rolls back everything when a wait fails, naming the operation and the server error', async () => {
    const failed = client.transact([
      ops.insert('Logical_Switch', { name: 'rolled-back-1' }),
      ops.wait('Logical_Switch', {
        where: [['name', '==', 'web']],
        columns: ['external_ids'],
        until: '==',
        rows: [{ external_ids: { vpc: 'b' } }],
        timeout: 0,
      }),
      ops.insert('Logical_Switch', { name: 'rolled-back-2' }),
    ]);
    await expect(failed).rejects.toThrow(TransactionError);
    const err = (await failed.catch((e: unknown) => e)) as TransactionError;
    expect(err.index).toBe(1);
    expect(err.error).toBe('timed out');
    expect(err.message).toMatch(
      /^transaction failed at operation 1 \(wait Logical_Switch\): timed out/,
    );
    const [left] = await client.transact([
      ops.select('Logical_Switch', [['name', 'includes', 'rolled-back-1']], ['name']),
    ]);
    expect(left.rows).toEqual([]);
  });

  it('rolls back when the commit breaks a unique index, naming the commit', async () => {
    const failed = client.transact([
      ops.insert('Logical_Switch_Port', { name: 'web-0' }, 'dup'),
      ops.insert('Logical_Switch', { name: 'rolled-back-3', ports: ['dup'] }),
    ]);
    const err = (await failed.catch((e: unknown) => e)) as TransactionError;
    expect(err).toBeInstanceOf(TransactionError);
    expect(err.index).toBe(2);
    expect(err.error).toBe('constraint violation');
    expect(err.details).toContain('identical values (web-0) for index on column "name"');
    expect(err.message).toMatch(/^transaction failed at commit: constraint violation: /);
    expect(
      await server.nbctl(
        '--bare',
        '--columns=name',
        'find',
        'Logical_Switch',
        'name=rolled-back-3',
      ),
    ).toBe('');
  });

  it('fails an assert on a lock this session does not hold', async () => {
    const err = (await client
      .transact([
        ops.insert('Logical_Switch', { name: 'rolled-back-4' }),
        ops.assert('vpc_operator'),
      ])
      .catch((e: unknown) => e)) as TransactionError;
    expect(err).toBeInstanceOf(TransactionError);
    expect(err.index).toBe(1);
    expect(err.error).toBe('not owner');
  });

  it('reports counts of update, mutate and delete', async () => {
    await client.transact([
      ops.insert('Logical_Switch', { name: 'counted', external_ids: { a: '1' } }),
    ]);
    const [updated, mutated, deleted] = await client.transact([
      ops.update('Logical_Switch', [['name', '==', 'counted']], {
        other_config: { mcast_snoop: 'true' },
      }),
      ops.mutate(
        'Logical_Switch',
        [['name', '==', 'counted']],
        [['external_ids', 'delete', ['a']]],
      ),
      ops.delete('Logical_Switch', [['name', '==', 'counted']]),
    ]);
    expect([updated.count, mutated.count, deleted.count]).toEqual([1, 1, 1]);
  });
});

describe('monitor', () => {
  it('replicates rows that ovn-nbctl inserts, changes and deletes', async () => {
    const changes: RowChange<nb.LogicalSwitchPort>[] = [];
    client.replica.table('Logical_Switch_Port').onChange((c) => changes.push(c));
    await client.monitor([
      { table: 'Logical_Switch' },
      {
        table: 'Logical_Switch_Port',
        columns: ['name', 'addresses', 'external_ids', 'parent_name', 'tag_request'],
      },
    ]);
    const switches = client.replica.table('Logical_Switch');
    const ports = client.replica.table('Logical_Switch_Port');
    // The rows written above are there from the initial state.
    expect(switches.find((s) => s.name === 'web')?.external_ids).toEqual({ vpc: 'a' });

    await server.nbctl(
      'ls-add',
      'db',
      '--',
      'lsp-add',
      'db',
      'db-0',
      '--',
      'lsp-set-addresses',
      'db-0',
      '0a:00:00:00:00:02 10.2.0.10',
    );
    const db0 = await waitFor(() => ports.find((p) => p.name === 'db-0'), {
      what: 'db-0 in the replica',
    });
    expect(db0.addresses).toEqual(['0a:00:00:00:00:02 10.2.0.10']);
    expect(Object.keys(db0).sort()).toEqual(['_uuid', 'addresses', 'external_ids', 'name']);
    expect(switches.find((s) => s.name === 'db')?.ports).toEqual([db0._uuid]);

    await server.nbctl(
      'lsp-set-addresses',
      'db-0',
      '0a:00:00:00:00:03 10.2.0.11',
      'dynamic',
      '--',
      'set',
      'Logical_Switch_Port',
      'db-0',
      'external_ids:vm=db-0',
      'external_ids:tier=db',
      'tag_request=7',
    );
    await waitFor(() => ports.get(db0._uuid)?.tag_request === 7, { what: 'the column change' });
    const changed = ports.get(db0._uuid);
    expect(changed?.addresses.sort()).toEqual(['0a:00:00:00:00:03 10.2.0.11', 'dynamic']);
    expect(changed?.external_ids).toEqual({ vm: 'db-0', tier: 'db' });

    await server.nbctl(
      'remove',
      'Logical_Switch_Port',
      'db-0',
      'external_ids',
      'tier',
      '--',
      'clear',
      'Logical_Switch_Port',
      'db-0',
      'tag_request',
    );
    await waitFor(() => ports.get(db0._uuid)?.tag_request === undefined, {
      what: 'the cleared column',
    });
    expect(ports.get(db0._uuid)?.external_ids).toEqual({ vm: 'db-0' });

    await server.nbctl('lsp-del', 'db-0');
    await waitFor(() => !ports.get(db0._uuid), { what: 'db-0 to leave the replica' });
    expect(switches.find((s) => s.name === 'db')?.ports).toEqual([]);
    expect(changes.filter((c) => c.uuid === db0._uuid).map((c) => c.type)).toEqual([
      'insert',
      'update',
      'update',
      'delete',
    ]);
  });

  it('has the replica updated by the time our own transaction returns', async () => {
    const [r] = await client.transact([ops.insert('Logical_Switch', { name: 'own' })]);
    expect(client.replica.table('Logical_Switch').get(r.uuid)?.name).toBe('own');
  });

  it('replicates only the rows its condition selects, following rows in and out of it', async () => {
    const filtered = OvsdbClient.connect<nb.Tables>({
      endpoints: [server.unixEndpoint],
      database: 'OVN_Northbound',
      log,
    });
    try {
      await filtered.monitor([
        {
          table: 'Logical_Switch',
          columns: ['name', 'external_ids'],
          where: [['external_ids', 'includes', { owner: 'kcloud' }]],
        },
      ]);
      const switches = filtered.replica.table('Logical_Switch');
      expect(switches.size).toBe(0);
      await server.nbctl(
        'ls-add',
        'ours',
        '--',
        'set',
        'Logical_Switch',
        'ours',
        'external_ids:owner=kcloud',
        '--',
        'ls-add',
        'theirs',
      );
      await waitFor(() => switches.find((s) => s.name === 'ours'), { what: 'the selected switch' });
      await server.nbctl(
        'set',
        'Logical_Switch',
        'theirs',
        'external_ids:owner=kcloud',
        '--',
        'remove',
        'Logical_Switch',
        'ours',
        'external_ids',
        'owner',
      );
      await waitFor(() => switches.find((s) => s.name === 'theirs'), {
        what: 'the switch that came into the condition',
      });
      await waitFor(() => !switches.find((s) => s.name === 'ours'), {
        what: 'the switch that left it',
      });
      expect(switches.rows().map((s) => s.name)).toEqual(['theirs']);
    } finally {
      await filtered.close();
    }
  });
});
