// The VPC operator on clustered OVN central (NB and SB of three members each, ovn-northd given
// every member): the northbound leader's ovsdb-server is killed while NetworkInterfaces are
// being created, and still every interface becomes Ready and the database holds exactly one
// port per interface. The time from the kill until all are Ready is printed, not asserted.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import winston from 'winston';
import { repoRoot } from '../../../hack/cluster/index.ts';
import {
  killMember,
  nbctl,
  ovnLayout,
  raftLeader,
  remotesOf,
  startClusteredCentral,
  stopClusteredCentral,
  waitLeader,
  type ClusteredCentral,
  type OvnLayout,
} from '../../../hack/ovn/index.ts';
import { addVpcOperator } from '../../../operators/vpc/index.ts';
import { startManager, useTestCluster } from '../../harness/index.ts';
import { doc, ref } from './operator-fixture.ts';

const cluster = useTestCluster('vpc-nb-cluster');
let layout: OvnLayout;
let central: ClusteredCentral;
const cleanups: (() => Promise<void>)[] = [];
/** The manager's log lines (errors are printed as well). */
const logLines: Record<string, unknown>[] = [];

function capturingLogger(): winston.Logger {
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      logLines.push(JSON.parse(line) as Record<string, unknown>);
    }
  });
  return winston.createLogger({
    level: 'info',
    format: winston.format.json(),
    transports: [
      new winston.transports.Stream({ stream }),
      new winston.transports.Console({ level: 'error' }),
    ],
  });
}

beforeAll(async () => {
  const base = path.join(repoRoot, '.local', 'test-runs');
  await mkdir(base, { recursive: true });
  layout = ovnLayout(await mkdtemp(path.join(base, 'ovn-vpc-cluster-')));
  cleanups.push(() => rm(layout.runDir, { recursive: true, force: true }));
  central = await startClusteredCentral(layout, { size: 3 });
  cleanups.push(() => stopClusteredCentral(central));
  const running = await startManager(
    (mgr) => {
      // One flag value with every member, as --ovn-nb takes it.
      addVpcOperator(mgr, { nbEndpoints: [remotesOf(central.nb)] });
    },
    { namespace: cluster.namespace, log: capturingLogger() },
  );
  cleanups.push(() => running.stop());
});

afterAll(async () => {
  for (const undo of cleanups.reverse()) await undo();
});

/** The names of the interface ports the namespace owns, one line per row (doubles repeat). */
async function interfacePorts(): Promise<string[]> {
  const r = await nbctl(
    layout,
    [
      '--bare',
      '--columns=name',
      'find',
      'Logical_Switch_Port',
      'external_ids:"kcloud.io/kind"=NetworkInterface',
      `external_ids:"kcloud.io/namespace"="${cluster.namespace}"`,
    ],
    { db: remotesOf(central.nb) },
  );
  if (r.code !== 0) throw new Error(`ovn-nbctl find: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
}

describe('the VPC operator on a clustered northbound database', () => {
  it('creates every interface once across a killed leader', async () => {
    await cluster.apply(
      [
        doc('VPC', 'v', { cidrBlocks: ['10.0.0.0/16'] }),
        doc('Subnet', 'a', { vpcRef: { name: 'v' }, cidrBlock: '10.0.1.0/24' }),
      ].join('---\n'),
    );
    await cluster.waitForCondition(ref('Subnet', 'a'), 'Ready', 'True', 60_000);
    const names = Array.from({ length: 40 }, (_, i) => `n-${String(i)}`);
    const nic = (n: string) => doc('NetworkInterface', n, { subnetRef: { name: 'a' } });
    const leader = await raftLeader(central.nb);
    if (!leader) throw new Error('the northbound cluster has no leader');
    // The first half is created and being programmed when the leader dies; the second half
    // is created while the cluster elects another.
    await cluster.apply(names.slice(0, 20).map(nic).join('---\n'));
    await killMember(leader);
    const killedAt = Date.now();
    await cluster.apply(names.slice(20).map(nic).join('---\n'));
    for (const n of names) {
      await cluster.waitForCondition(ref('NetworkInterface', n), 'Ready', 'True', 90_000);
    }
    console.log(
      `NB leader killed while 40 interfaces were created: all Ready ${String(Date.now() - killedAt)} ms after the kill`,
    );
    expect(await waitLeader(central.nb)).not.toBe(leader);
    // The operator's own connection was on the killed leader and moved (one line per change).
    expect(logLines.filter((l) => l.message === 'ovsdb leader changed')).toContainEqual(
      expect.objectContaining({ database: 'OVN_Northbound', previousLeader: leader.remote }),
    );

    const want: string[] = [];
    for (const n of names) {
      const o = await cluster.read(ref('NetworkInterface', n));
      want.push(String(o.status?.portName));
    }
    expect(new Set(want).size).toBe(names.length);
    expect(await interfacePorts()).toEqual(want.sort());
  });
});
