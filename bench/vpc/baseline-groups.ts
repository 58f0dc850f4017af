#!/usr/bin/env node
// What one interface added to the baseline port group (inbound denied, outbound allowed) costs
// ovn-northd, by how that group is cut: one group holding every interface, one per VPC, or one
// per Subnet. ovn-northd keeps an address set of every port group's addresses; the question is
// whether an add costs in proportion to the group it joins.
//
// usage: node bench/vpc/baseline-groups.ts [--subnets=50] [--ports=5000] [--vpcs=10] [--adds=40]
// On a private OVN of its own (KCLOUD_OVN picks the version, as everywhere); prints a table.
import { parseArgs } from 'node:util';
import { realClock } from '../../controllers/clock/index.ts';
import { createLogger } from '../../controllers/logging/logger.ts';
import { OvsdbClient, operationsFor, type nb } from '../../controllers/ovsdb/index.ts';
import { repoRoot } from '../../hack/cluster/index.ts';
import { nbctl, type OvnLayout } from '../../hack/ovn/index.ts';
import { markdownTable } from '../lib/markdown.ts';
import { runBench } from '../lib/run.ts';
import { add, cuts, pgName, populate, swName, type Cut } from './baseline-cuts.ts';
import { cpuSeconds } from './cpu.ts';
import { withOvn } from './ovn-run.ts';

async function sync(layout: OvnLayout): Promise<void> {
  const r = await nbctl(layout, ['--wait=sb', 'sync'], { timeoutSeconds: 600 });
  if (r.code !== 0) throw new Error(`ovn-nbctl --wait=sb sync: ${r.stderr.trim()}`);
}

const ops = operationsFor<nb.Tables>();

interface Measured {
  cut: Cut;
  /** ovn-northd CPU ms per add: a port alone, and a port that joins its group. */
  aloneMs: number;
  joinedMs: number;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      subnets: { type: 'string', default: '50' },
      ports: { type: 'string', default: '5000' },
      vpcs: { type: 'string', default: '10' },
      adds: { type: 'string', default: '40' },
    },
    strict: true,
  });
  const subnets = Number(values.subnets);
  const perSubnet = Math.floor(Number(values.ports) / subnets);
  const adds = Number(values.adds);
  const log = createLogger('kcloud-bench-baseline', 'warn');
  const print = (line: string) => {
    console.log(line);
  };
  const results: Measured[] = [];
  await withOvn(
    `${repoRoot}/.local/bench-runs/baseline-groups-${String(process.pid)}`,
    { keep: false, log: print },
    async (layout, info) => {
      const northd = info.processes.find((p) => p.name === 'ovn-northd');
      if (!northd) throw new Error('ovn-northd is not among the started processes');
      const client = OvsdbClient.connect<nb.Tables>({
        endpoints: [info.connection.nb.unix],
        database: 'OVN_Northbound',
        log,
        clock: realClock,
      });
      try {
        await client.waitConnected();
        for (const cut of cuts(subnets, Number(values.vpcs))) {
          await client.transact(populate(cut, subnets, perSubnet));
          await sync(layout);
          const cost = async (join: boolean, from: number) => {
            const before = cpuSeconds(northd.pid) ?? 0;
            for (let k = 0; k < adds; k++) {
              await client.transact(add(cut, k % subnets, from + k, join));
              await sync(layout);
            }
            return (((cpuSeconds(northd.pid) ?? 0) - before) * 1000) / adds;
          };
          const alone = await cost(false, perSubnet);
          const joined = await cost(true, perSubnet + adds);
          results.push({ cut, aloneMs: alone, joinedMs: joined });
          print(
            `${cut.name}: northd ${alone.toFixed(0)} ms per port alone, ${joined.toFixed(0)} ms per port joining its group`,
          );
          await client.transact([
            ...Array.from({ length: cut.groups }, (_, g) =>
              ops.delete('Port_Group', [['name', '==', pgName(g)]]),
            ),
            ...Array.from({ length: subnets }, (_, s) =>
              ops.delete('Logical_Switch', [['name', '==', swName(s)]]),
            ),
          ]);
          await sync(layout);
        }
      } finally {
        await client.close();
      }
    },
  );
  console.log(
    `\n${markdownTable(
      [
        'baseline groups',
        'ovn-northd CPU per port added alone',
        'per port added and joined to its group',
        'the join alone',
      ],
      results.map((r) => [
        `${r.cut.name}: ${String(r.cut.groups)} × ${String(Math.round((subnets * perSubnet) / r.cut.groups))} ports`,
        `${r.aloneMs.toFixed(0)} ms`,
        `${r.joinedMs.toFixed(0)} ms`,
        `${(r.joinedMs - r.aloneMs).toFixed(0)} ms`,
      ]),
    )}\n`,
  );
}

runBench(main);
