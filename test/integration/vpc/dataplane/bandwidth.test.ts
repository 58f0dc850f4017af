// A NetworkInterface's bandwidth limits on real packets: TCP between two guests of one Subnet
// runs at the datapath's own rate without a limit, at the limit once one is set (each
// direction its own), at the new limit once raised, and freely again once removed; the QoS
// rows go with the limit and with the interface. The rates seen are printed.
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { runTool } from '../../../../hack/cluster/run-tool.ts';
import { ovnTool } from '../../../../hack/ovn/index.ts';
import { useTestCluster, waitFor } from '../../../harness/index.ts';
import { doc, ref, useVpcDataPlane, type NicGuest } from '../dataplane-fixture.ts';
import { measureTcp } from './throughput.ts';

const cluster = useTestCluster('vpc-dp-bw');
const dp = useVpcDataPlane(cluster);
const figures: Record<string, { send: number; receive: number }> = {};

afterAll(() => {
  console.log(`TCP throughput of the limited interface (Mbit/s): ${JSON.stringify(figures)}`);
});

/** The band a limited rate must fall in over the window: the property under test. */
const band = { low: 0.5, high: 1.25 };
/** How many times the highest limit used the unlimited rate must be, for the test to mean anything. */
const headroom = 3;

const subnet = { subnetRef: { name: 's' }, securityGroupRefs: [{ name: 'open' }] };

/** Applies the limited interface's spec and waits until the manager has reconciled it. */
async function limit(bandwidth?: { egressMbps?: number; ingressMbps?: number }): Promise<void> {
  await cluster.apply(
    doc('NetworkInterface', 'a', { ...subnet, ...(bandwidth ? { bandwidth } : {}) }),
  );
  await waitFor(
    async () => {
      const o = await cluster.read(ref('NetworkInterface', 'a'));
      const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' && ready.observedGeneration === o.metadata?.generation;
    },
    { what: 'NetworkInterface a Ready for its generation' },
  );
}

/** The kbit/s rates of the meters ovn-controller installed in br-int, sorted. */
async function meterRates(): Promise<number[]> {
  const mgmt = path.join(path.dirname(dp.layout().vswitchdCtl), 'br-int.mgmt');
  const ofctl = ovnTool('ovs-ofctl');
  const r = await runTool(ofctl.file, [
    ...ofctl.args,
    '-O',
    'OpenFlow15',
    'dump-meters',
    `unix:${mgmt}`,
  ]);
  if (r.code !== 0) throw new Error(`ovs-ofctl dump-meters: ${r.stderr}`);
  return [...r.stdout.matchAll(/type=drop rate=(\d+)/g)]
    .map((m) => Number(m[1]))
    .sort((x, y) => x - y);
}

/** Waits until br-int holds exactly these meters (kbit/s): the limits reached the datapath. */
async function metersAre(rates: number[]): Promise<void> {
  let last: number[] = [];
  await waitFor(
    async () => {
      last = await meterRates();
      return JSON.stringify(last) === JSON.stringify([...rates].sort((x, y) => x - y));
    },
    {
      what: `br-int to hold meters of ${JSON.stringify(rates)} kbit/s`,
      describe: () => JSON.stringify(last),
    },
  );
}

/** The QoS rows of interface a, as "direction rate burst". */
async function qosRows(): Promise<string[]> {
  const out = await dp.nb([
    '--format=json',
    '--columns=direction,match,bandwidth',
    'find',
    'QoS',
    `external_ids:"kcloud.io/namespace"="${cluster.namespace}"`,
  ]);
  const { data } = JSON.parse(out) as { data: [string, string, ['map', [string, number][]]][] };
  return data
    .map(([direction, match, [, bw]]) => {
      const m = Object.fromEntries(bw);
      return `${direction} ${match} rate=${String(m.rate)} burst=${String(m.burst)}`;
    })
    .sort();
}

describe('bandwidth limits of a NetworkInterface', () => {
  let a: NicGuest;
  let b: NicGuest;
  let port = 5000;
  const both = async () => ({
    send: (await measureTcp(a, b, b.nic.ipAddress, ++port)).mbps,
    receive: (await measureTcp(b, a, a.nic.ipAddress, ++port)).mbps,
  });
  const inBand = (rate: number, limitMbps: number) => {
    expect(rate).toBeGreaterThanOrEqual(band.low * limitMbps);
    expect(rate).toBeLessThanOrEqual(band.high * limitMbps);
  };

  it('runs at the datapath’s own rate without a limit', async () => {
    await cluster.apply(
      [
        doc('VPC', 'v', { cidrBlocks: ['10.0.0.0/16'] }),
        doc('Subnet', 's', { vpcRef: { name: 'v' }, cidrBlock: '10.0.1.0/24' }),
        doc('SecurityGroup', 'open', {
          vpcRef: { name: 'v' },
          rules: [
            {
              name: 'tcp',
              direction: 'Ingress',
              protocol: 'TCP',
              ports: { from: 5000, to: 5100 },
              remoteCIDR: '10.0.0.0/16',
            },
          ],
        }),
        doc('NetworkInterface', 'a', subnet),
        doc('NetworkInterface', 'b', subnet),
      ].join('---\n'),
    );
    [a, b] = await Promise.all([dp.guest('a'), dp.guest('b')]);
    expect(await qosRows()).toEqual([]);
    figures.unlimited = await both();
    // The limits below must be well under what the datapath does by itself.
    expect(figures.unlimited.send).toBeGreaterThan(headroom * 40);
    expect(figures.unlimited.receive).toBeGreaterThan(headroom * 40);
  });

  it('sends at most egressMbps and receives at most ingressMbps', async () => {
    await limit({ egressMbps: 10, ingressMbps: 20 });
    const port = (await dp.nic('a')).portName;
    expect(await qosRows()).toEqual([
      `from-lport inport == "${port}" rate=10000 burst=8000`,
      `to-lport outport == "${port}" rate=20000 burst=16000`,
    ]);
    await metersAre([10_000, 20_000]);
    const wide = await cluster.kubectl(['-n', cluster.namespace, 'get', 'eni', 'a', '-o', 'wide']);
    expect(wide.stdout).toMatch(/EGRESS\s+INGRESS/);
    expect(wide.stdout).toMatch(/\s10\s+20\s/);
    figures.limited = await both();
    inBand(figures.limited.send, 10);
    inBand(figures.limited.receive, 20);
  });

  it('takes a raised limit at once', async () => {
    await limit({ egressMbps: 30, ingressMbps: 40 });
    await metersAre([30_000, 40_000]);
    figures.raised = await both();
    inBand(figures.raised.send, 30);
    inBand(figures.raised.receive, 40);
  });

  it('limits one direction only when only one is set', async () => {
    await limit({ ingressMbps: 20 });
    expect((await qosRows()).map((r) => r.split(' ')[0])).toEqual(['to-lport']);
    await metersAre([20_000]);
    figures.ingressOnly = await both();
    expect(figures.ingressOnly.send).toBeGreaterThan(headroom * 20);
    inBand(figures.ingressOnly.receive, 20);
  });

  it('runs freely again once the limit is removed, with no QoS row or meter left', async () => {
    await limit();
    expect(await qosRows()).toEqual([]);
    await metersAre([]);
    figures.removed = await both();
    expect(figures.removed.send).toBeGreaterThan(headroom * 40);
    expect(figures.removed.receive).toBeGreaterThan(headroom * 40);
  });

  it('gives each interface a meter of its own, and leaves no QoS row of a deleted one', async () => {
    await limit({ egressMbps: 10, ingressMbps: 20 });
    // The same rate on another interface is another meter: interfaces never share a limit.
    await cluster.apply(doc('NetworkInterface', 'b', { ...subnet, bandwidth: { egressMbps: 10 } }));
    await metersAre([10_000, 10_000, 20_000]);
    expect(await qosRows()).toHaveLength(3);
    await cluster.kubectl(['-n', cluster.namespace, 'delete', 'eni', 'a', '--wait=false']);
    await cluster.waitForGone(ref('NetworkInterface', 'a'));
    await metersAre([10_000]);
    const port = (await dp.nic('b')).portName;
    expect(await qosRows()).toEqual([`from-lport inport == "${port}" rate=10000 burst=8000`]);
    await cluster.apply(doc('NetworkInterface', 'b', subnet));
    await metersAre([]);
    expect(await qosRows()).toEqual([]);
  });
});
