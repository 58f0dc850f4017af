// The VPC router's gateway port survives its chassis: three chassis on one machine (the hub,
// holding the workload and the internet namespace, and two gateway chassis whose provider
// bridges share the hub's network), the EIP operator's gateway port on both gateway chassis
// with priorities, and OVN's BFD between every chassis over the Geneve tunnels. Traffic through
// the gateway (a NATGateway's SNAT and DNAT, a LoadBalancer's EIP) is probed every 50 ms while
// the active gateway chassis is killed (SIGKILL of its ovs-vswitchd, ovn-controller and
// database: a host that dies) and again when it comes back and takes the port back.
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  answerScript,
  firstAnswer,
  proberScript,
  Prober,
  sbctl,
  upChassis,
  vsctl,
  type Attempt,
  type Chassis,
  type Guest,
} from '../../../hack/ovn/index.ts';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { readyForGeneration, slbApi, useSlbOperator } from '../slb/fixture.ts';
import { untilListening } from '../vpc/dataplane-fixture.ts';
import { doc, eipApi, eipRef, vpcApi } from './fixture.ts';
import {
  innerInterface,
  internetPool,
  natGateway,
  nicGuest,
  plugInternet,
  startPeerEcho,
  webSecurityGroup,
} from './internet.ts';

const hub = 'kcloud-gwha-hub';
const [gw1, gw2] = ['kcloud-gwha-gw1', 'kcloud-gwha-gw2'];
const cluster = useTestCluster('gw-ha');
const ovn = useSlbOperator(cluster, { dataPlane: true, chassis: hub }, [gw1, gw2]);
const guests: Guest[] = [];
const probers: Prober[] = [];
const gateways = new Map<string, Chassis>();
let internet: Guest;
let inner: Guest;
const echoPort = 9000;
/** Probe cadence: one attempt every 50 ms, each given 500 ms. */
const probe = { everyMs: 50, timeoutMs: 500 };
/** Generous: BFD's detection plus a claim and flows on a loaded 2-core machine. */
const recoverTimeoutMs = 60_000;

const chassisOfGatewayPort = async (): Promise<string> => {
  const sb = async (args: string[]) => {
    const r = await sbctl(ovn.layout(), args);
    if (r.code !== 0) throw new Error(`ovn-sbctl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const uuid = await sb([
    '--bare',
    '--columns=chassis',
    'find',
    'Port_Binding',
    'type=chassisredirect',
  ]);
  if (uuid === '') return '';
  if (uuid.includes('\n')) throw new Error(`more than one chassisredirect port: ${uuid}`);
  return sb(['--bare', '--columns=name', 'list', 'Chassis', uuid]);
};

/** The BFD settings and state of the tunnel from a chassis' Open vSwitch to `address`. */
const bfdOf = async (
  chassis: Chassis | 'hub',
  address: string,
): Promise<{ state: string; minRx: string; minTx: string; mult: string }> => {
  const layout = chassis === 'hub' ? ovn.layout() : chassis.layout;
  const r = await vsctl(layout, [
    '--bare',
    '--columns=bfd,bfd_status',
    'find',
    'Interface',
    `options:remote_ip=${address}`,
  ]);
  if (r.code !== 0) throw new Error(`ovs-vsctl find Interface: ${r.stderr}`);
  const key = (k: string) => new RegExp(`\\b${k}=(\\w+)`).exec(r.stdout)?.[1] ?? 'none';
  return { state: key('state'), minRx: key('min_rx'), minTx: key('min_tx'), mult: key('mult') };
};

function gateway(name: string): Chassis {
  const c = gateways.get(name);
  if (!c) throw new Error(`gateway chassis ${name} is not running`);
  return c;
}

async function startProber(from: Guest, host: string, port: number): Promise<Prober> {
  const p = new Prober(
    from.spawn([
      process.execPath,
      '-e',
      proberScript,
      host,
      String(port),
      String(probe.everyMs),
      String(probe.timeoutMs),
    ]),
  );
  probers.push(p);
  await p.waitReady();
  p.start();
  return p;
}

/** The longest time no attempt started in [from, to) was answered, from the answers' starts. */
function longestGap(attempts: readonly Attempt[], from: number, to: number): number {
  const answered = attempts
    .filter((a): a is Extract<Attempt, { who: string }> => !('miss' in a))
    .filter((a) => a.t >= from && a.t < to)
    .map((a) => a.t)
    .sort((a, b) => a - b);
  let gap = 0;
  let last = from;
  for (const t of answered) {
    gap = Math.max(gap, t - last);
    last = t;
  }
  return Math.max(gap, to - last);
}

interface Path {
  name: string;
  prober: Prober;
  who: string;
}
const paths: Path[] = [];

beforeAll(async () => {
  const pool = `${cluster.namespace}-pool`;
  internet = await plugInternet(ovn);
  guests.push(internet);
  for (const name of [gw1, gw2]) {
    gateways.set(
      name,
      await upChassis(ovn.layout(), {
        name,
        providerNetworks: [{ physnet: internetPool.providerNetwork }],
      }),
    );
  }
  await cluster.apply(
    [
      doc(eipApi, 'EIPPool', pool, internetPool),
      doc(vpcApi, 'VPC', 'v1', { cidrBlocks: ['10.0.0.0/16'] }),
      doc(vpcApi, 'Subnet', 'inner', { vpcRef: { name: 'v1' }, cidrBlock: '10.0.1.0/24' }),
      webSecurityGroup,
      innerInterface,
      ...['out', 'fwd'].map((n) =>
        doc(eipApi, 'EIP', n, {
          poolRef: { name: pool },
          binding: { natGatewayRef: { name: 'gw' } },
        }),
      ),
      natGateway(),
      doc(slbApi, 'LoadBalancer', 'web', {
        subnetRef: { name: 'inner' },
        listeners: [{ name: 'http', protocol: 'TCP', port: 80, backendPool: 'web' }],
        backendPools: [
          { name: 'web', members: [{ networkInterfaceRef: { name: 'inner' }, port: 80 }] },
        ],
      }),
      doc(eipApi, 'EIP', 'lb', {
        poolRef: { name: pool },
        binding: { loadBalancerRef: { name: 'web' } },
      }),
    ].join('---\n'),
  );
  inner = await nicGuest(cluster, ovn, 'inner');
  guests.push(inner);
  await startPeerEcho(internet, echoPort);
  await untilListening(
    inner.spawn([process.execPath, '-e', answerScript, '80', 'inner']),
    'the answer server in inner',
  );
  const address = async (name: string) =>
    (await cluster.waitForCondition(eipRef(name), 'Ready')).status?.address as string;
  const [out, fwd, lb] = [await address('out'), await address('fwd'), await address('lb')];
  await readyForGeneration(cluster, 'web');
  paths.push(
    {
      name: 'SNAT out',
      prober: await startProber(inner, internetPool.gatewayIP, echoPort),
      who: out,
    },
    { name: 'DNAT in', prober: await startProber(internet, fwd, 8080), who: 'inner' },
    { name: 'LoadBalancer EIP', prober: await startProber(internet, lb, 80), who: 'inner' },
  );
}, 240_000);

afterAll(async () => {
  for (const p of probers.splice(0)) p.stop();
  for (const g of guests.splice(0)) await g.close().catch(() => undefined);
});

/** Waits until every path is answered by an attempt started at or after `from`. */
async function allAnsweredSince(from: number): Promise<Map<string, number>> {
  const at = new Map<string, number>();
  for (const p of paths) {
    const a = await p.prober.until(
      (attempts) => firstAnswer(attempts, from, p.who),
      recoverTimeoutMs,
      `${p.name} to be answered by ${p.who}`,
    );
    at.set(p.name, a.r);
  }
  return at;
}

describe('the gateway port of a VPC router', () => {
  it('is active on the gateway chassis of highest priority, watched by BFD from the others', async () => {
    await waitFor(async () => (await chassisOfGatewayPort()) === gw1, {
      what: `the gateway port bound on ${gw1}`,
      describe: chassisOfGatewayPort,
    });
    await allAnsweredSince(Date.now());
    const gw1Address = gateway(gw1).address;
    // BFD runs where OVN needs it: between the gateway chassis, and from the hub (which has
    // ports of the router's networks) to each of them.
    // At the operator's interval (--eip-gateway-bfd-interval, 300ms by default), from NB_Global
    // through the southbound database to each tunnel.
    const want = { state: 'up', minRx: '300', minTx: '300', mult: '3' };
    let seen = '';
    await waitFor(
      async () => {
        const both = [await bfdOf(gateway(gw2), gw1Address), await bfdOf('hub', gw1Address)];
        seen = JSON.stringify(both);
        return both.every((b) => JSON.stringify(b) === JSON.stringify(want));
      },
      { what: `BFD up from ${gw2} and the hub to ${gw1}`, describe: () => seen },
    );
  });

  // Three rounds: one failover is one sample of BFD's timing.
  for (const round of [1, 2, 3]) {
    it(`round ${String(round)}: moves to the standby when the active chassis dies, and traffic resumes through it`, async () => {
      for (const p of probers) p.clear();
      const gw1Address = gateway(gw1).address;
      const killedAt = Date.now();
      for (const proc of gateway(gw1).processes) process.kill(proc.pid, 'SIGKILL');
      gateways.delete(gw1);
      // Where the time goes: when the standby's and the hub's BFD say the tunnel to the dead
      // chassis is down, and when the southbound database shows the port claimed by the standby.
      const seen = { bfdDown: NaN, hubBfdDown: NaN, claimed: NaN };
      const watching = (async () => {
        while (Object.values(seen).some((v) => Number.isNaN(v))) {
          if (Date.now() - killedAt > recoverTimeoutMs) return;
          if (Number.isNaN(seen.bfdDown) && (await bfdOf(gateway(gw2), gw1Address)).state !== 'up')
            seen.bfdDown = Date.now() - killedAt;
          if (Number.isNaN(seen.hubBfdDown) && (await bfdOf('hub', gw1Address)).state !== 'up')
            seen.hubBfdDown = Date.now() - killedAt;
          if (Number.isNaN(seen.claimed) && (await chassisOfGatewayPort()) === gw2)
            seen.claimed = Date.now() - killedAt;
          await new Promise((r) => setTimeout(r, 25));
        }
      })();
      const resumed = await allAnsweredSince(killedAt);
      await watching;
      expect(await chassisOfGatewayPort()).toBe(gw2);
      const lines = paths.map((p) => {
        const r = resumed.get(p.name) ?? NaN;
        return `${p.name} answered again ${String(r - killedAt)} ms after the kill`;
      });
      console.log(
        `round ${String(round)}: ${gw1} killed → BFD down on ${gw2} after ${String(seen.bfdDown)} ms and on the hub after ${String(seen.hubBfdDown)} ms, port claimed in SB after ${String(seen.claimed)} ms; ${lines.join('; ')} (load average ${os.loadavg()[0]?.toFixed(1) ?? '?'})`,
      );
      // The standby keeps serving: every path answered after that, and nothing goes back to gw1.
      const settled = Date.now();
      await allAnsweredSince(settled);
      expect(await chassisOfGatewayPort()).toBe(gw2);
    });

    it(`round ${String(round)}: goes back to the chassis of highest priority when it returns`, async () => {
      for (const p of probers) p.clear();
      const backAt = Date.now();
      gateways.set(gw1, await upChassis(ovn.layout(), { name: gw1 }));
      await waitFor(async () => (await chassisOfGatewayPort()) === gw1, {
        what: `the gateway port bound on ${gw1} again`,
        describe: chassisOfGatewayPort,
        timeoutMs: recoverTimeoutMs,
      });
      const movedAt = Date.now();
      await allAnsweredSince(movedAt);
      const end = Date.now();
      const gaps = paths.map(
        (p) => `${p.name} longest gap ${String(longestGap(p.prober.attempts, backAt, end))} ms`,
      );
      console.log(
        `round ${String(round)}: ${gw1} back: port moved to it ${String(movedAt - backAt)} ms after its start began; ${gaps.join('; ')}`,
      );
    });
  }
});
