// 5,000 Logical_Switch_Port rows and a switch holding them all, written in one transaction by
// the client and by one ovn-nbctl run, on the same server. Prints both times; asserts only that
// each wrote what it should.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { realClock } from '../../../controllers/clock/index.ts';
import { createLogger } from '../../../controllers/logging/logger.ts';
import {
  OvsdbClient,
  nb,
  operationsFor,
  type Operation,
} from '../../../controllers/ovsdb/index.ts';
import { waitFor } from '../../harness/index.ts';
import { OvsdbServer } from './server.ts';

const n = 5000;
const log = createLogger('ovsdb-bulk', 'error');
const ops = operationsFor<nb.Tables>();

let server: OvsdbServer;
let plain: OvsdbClient<nb.Tables>;

beforeAll(async () => {
  server = await OvsdbServer.start('bulk');
  plain = OvsdbClient.connect<nb.Tables>({
    endpoints: [server.unixEndpoint],
    database: 'OVN_Northbound',
    log,
  });
  await plain.waitConnected();
});

afterAll(async () => {
  await plain.close();
  await server.cleanup();
});

/** ls-add plus n lsp-add, as one transaction: the ports join the switch with one mutate. */
function bulkInsert(sw: string): Operation[] {
  const ports = Array.from({ length: n }, (_, i) => `p${String(i)}`);
  return [
    ops.insert('Logical_Switch', { name: sw }),
    ...ports.map((p) => ops.insert('Logical_Switch_Port', { name: `${sw}-${p}` }, p)),
    ops.mutate('Logical_Switch', [['name', '==', sw]], [['ports', 'insert', ports]]),
  ];
}

async function portsOf(sw: string): Promise<number> {
  const [r] = await plain.transact([ops.select('Logical_Switch', [['name', '==', sw]], ['ports'])]);
  return r.rows[0]?.ports.length ?? -1;
}

async function timed(what: () => Promise<unknown>): Promise<number> {
  const start = realClock.now();
  await what();
  return realClock.now() - start;
}

it(`writes ${String(n)} ports in one transaction, and ovn-nbctl does the same`, async () => {
  // Each run starts from an empty database, so none pays for the rows of another.
  const monitoring = OvsdbClient.connect<nb.Tables>({
    endpoints: [server.unixEndpoint],
    database: 'OVN_Northbound',
    log,
  });
  let withMonitor: number;
  try {
    await monitoring.monitor([{ table: 'Logical_Switch' }, { table: 'Logical_Switch_Port' }]);
    withMonitor = await timed(() => monitoring.transact(bulkInsert('client-monitoring')));
    // Our own updates arrive before the transaction's reply.
    expect(monitoring.replica.table('Logical_Switch_Port').size).toBe(n);
    expect(
      monitoring.replica.table('Logical_Switch').find((s) => s.name === 'client-monitoring')?.ports,
    ).toHaveLength(n);
    await monitoring.transact([ops.delete('Logical_Switch', [])]);
    await waitFor(() => monitoring.replica.table('Logical_Switch_Port').size === 0, {
      what: 'the ports to be gone with their switch',
    });
  } finally {
    await monitoring.close();
  }

  const withoutMonitor = await timed(() => plain.transact(bulkInsert('client')));
  expect(await portsOf('client')).toBe(n);
  await plain.transact([ops.delete('Logical_Switch', [])]);

  const nbctlArgs = ['ls-add', 'nbctl'];
  for (let i = 0; i < n; i++) nbctlArgs.push('--', 'lsp-add', 'nbctl', `nbctl-p${String(i)}`);
  const nbctl = await timed(() => server.nbctl(...nbctlArgs));
  expect(await portsOf('nbctl')).toBe(n);
  const [all] = await plain.transact([ops.select('Logical_Switch_Port', [], ['name'])]);
  expect(all.rows).toHaveLength(n);

  const rows: [string, number][] = [
    ['OvsdbClient.transact, the client monitoring both tables', withMonitor],
    ['OvsdbClient.transact, no monitor', withoutMonitor],
    [`ovn-nbctl ls-add + ${String(n)} lsp-add, one invocation`, nbctl],
  ];
  console.log(
    [
      `one transaction inserting a Logical_Switch and ${String(n)} Logical_Switch_Port rows:`,
      ...rows.map(([what, ms]) => `  ${what.padEnd(56)} ${ms.toFixed(0).padStart(6)} ms`),
    ].join('\n'),
  );
});
