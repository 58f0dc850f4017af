// Bulk writes into the northbound database: the operator's OVSDB client against ovn-nbctl, the
// same rows (a switch and its ports) in one transaction each, on the same server, interleaved.
import type { Clock } from '../../controllers/clock/index.ts';
import type { Logger } from '../../controllers/logging/logger.ts';
import {
  OvsdbClient,
  operationsFor,
  type nb,
  type Operation,
} from '../../controllers/ovsdb/index.ts';
import { nbctl, type OvnLayout } from '../../hack/ovn/index.ts';

export const writers = ['client', 'client-unmonitored', 'nbctl'] as const;
export type Writer = (typeof writers)[number];

export interface BulkWriteResult {
  ports: number;
  /** Milliseconds of each round, by writer, in round order. */
  ms: Record<Writer, number[]>;
  /** ovn-nbctl reading one table and exiting: the part of its time that is not the write. */
  nbctlFixedMs: number[];
}

const ops = operationsFor<nb.Tables>();

export function portName(sw: string, i: number): string {
  return `${sw}-p${i}`;
}

/** The switch and its `n` ports as one transaction: the ports join the switch with one mutate. */
export function bulkInsert(sw: string, n: number): Operation[] {
  const refs = Array.from({ length: n }, (_, i) => `p${i}`);
  return [
    ops.insert('Logical_Switch', { name: sw }),
    ...refs.map((ref, i) => ops.insert('Logical_Switch_Port', { name: portName(sw, i) }, ref)),
    ops.mutate('Logical_Switch', [['name', '==', sw]], [['ports', 'insert', refs]]),
  ];
}

/** The same rows as one ovn-nbctl invocation. */
export function nbctlArgs(sw: string, n: number): string[] {
  const args = ['ls-add', sw];
  for (let i = 0; i < n; i++) args.push('--', 'lsp-add', sw, portName(sw, i));
  return args;
}

/** Round `round`'s order: each writer goes first in turn, so none always follows the same one. */
export function roundOrder<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

async function must(what: string, run: Promise<{ code: number; stderr: string }>): Promise<void> {
  const r = await run;
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.trim()}`);
}

export async function measureBulkWrites(opts: {
  layout: OvnLayout;
  endpoint: string;
  ports: number;
  rounds: number;
  clock: Clock;
  log: Logger;
  print: (line: string) => void;
}): Promise<BulkWriteResult> {
  const { clock, layout, ports: n } = opts;
  const connect = () =>
    OvsdbClient.connect<nb.Tables>({
      endpoints: [opts.endpoint],
      database: 'OVN_Northbound',
      log: opts.log,
      clock,
    });
  // As the operator runs: a replica of the tables it writes, its own updates arriving before
  // each transaction's reply.
  const monitored = connect();
  const plain = connect();
  try {
    await monitored.monitor([{ table: 'Logical_Switch' }, { table: 'Logical_Switch_Port' }]);
    await plain.waitConnected();
    const portsOf = async (sw: string) => {
      const [r] = await plain.transact([
        ops.select('Logical_Switch', [['name', '==', sw]], ['ports']),
      ]);
      return r.rows[0]?.ports.length ?? -1;
    };
    // ovn-northd has translated everything so far: no write pays for the one before it.
    const settle = () =>
      must(
        'ovn-nbctl --wait=sb sync',
        nbctl(layout, ['--wait=sb', 'sync'], { timeoutSeconds: 300 }),
      );
    const write: Record<Writer, (sw: string) => Promise<unknown>> = {
      client: (sw) => monitored.transact(bulkInsert(sw, n)),
      'client-unmonitored': (sw) => plain.transact(bulkInsert(sw, n)),
      nbctl: (sw) =>
        must(
          `ovn-nbctl with ${n} lsp-add`,
          nbctl(layout, nbctlArgs(sw, n), { timeoutSeconds: 300 }),
        ),
    };
    const result: BulkWriteResult = {
      ports: n,
      ms: { client: [], 'client-unmonitored': [], nbctl: [] },
      nbctlFixedMs: [],
    };
    for (let round = 0; round < opts.rounds; round++) {
      for (const writer of roundOrder(writers, round)) {
        const sw = `bulk-${writer}-${round}`;
        await settle();
        const started = clock.now();
        await write[writer](sw);
        const ms = clock.now() - started;
        const written = await portsOf(sw);
        if (written !== n) throw new Error(`${writer} left ${written} ports in ${sw}, not ${n}`);
        result.ms[writer].push(ms);
        opts.print(`NB writes, round ${round + 1}/${opts.rounds}, ${writer}: ${ms.toFixed(0)} ms`);
        // The ports are not root rows: they go with the switch.
        await plain.transact([ops.delete('Logical_Switch', [['name', '==', sw]])]);
      }
      await settle();
      const started = clock.now();
      await must('ovn-nbctl ls-list', nbctl(layout, ['ls-list']));
      result.nbctlFixedMs.push(clock.now() - started);
    }
    return result;
  } finally {
    await monitored.close();
    await plain.close();
  }
}
