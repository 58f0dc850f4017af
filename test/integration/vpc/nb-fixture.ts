// A private northbound ovsdb-server with a monitoring client and an NbClient over it, and a
// count of the transactions the client sends.
import { jest } from '@jest/globals';
import { createLogger } from '../../../controllers/logging/logger.ts';
import { OvsdbClient, nb } from '../../../controllers/ovsdb/index.ts';
import { NbClient } from '../../../operators/vpc/ovn/nb/index.ts';
import { waitFor } from '../../harness/index.ts';
import { OvsdbServer } from '../ovsdb/server.ts';

export interface NbFixture {
  server: OvsdbServer;
  ovsdb: OvsdbClient<nb.Tables>;
  nb: NbClient;
  /** Transactions sent so far. */
  transactions: () => number;
  /** Waits until the replica satisfies `probe` (after a change made with ovn-nbctl). */
  replicaShows: (what: string, probe: () => boolean) => Promise<void>;
  close: () => Promise<void>;
}

export async function startNb(name: string): Promise<NbFixture> {
  const log = createLogger(
    'nb-test',
    process.env.KCLOUD_TEST_LOG_LEVEL === 'debug' ? 'debug' : 'error',
  );
  const server = await OvsdbServer.start(name);
  const ovsdb = OvsdbClient.connect<nb.Tables>({
    endpoints: [server.unixEndpoint],
    database: 'OVN_Northbound',
    log,
  });
  await ovsdb.monitor(NbClient.monitoredTables);
  const transact = jest.spyOn(ovsdb, 'transact');
  return {
    server,
    ovsdb,
    nb: new NbClient(ovsdb),
    transactions: () => transact.mock.calls.length,
    replicaShows: async (what, probe) => {
      await waitFor(probe, { what, timeoutMs: 10_000, intervalMs: 10 });
    },
    close: async () => {
      await ovsdb.close();
      await server.cleanup();
    },
  };
}
