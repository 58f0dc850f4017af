#!/usr/bin/env node
// How long OVN alone takes to enforce a rule change between two guests, by what the change
// writes to NB: an ACL added or removed (what a SecurityGroup rule change writes), against the
// same traffic opened and closed by an address set the ACL names (its row unchanged). Beside
// the guests' switch, switches of 100 ports each with their baseline groups and 10 groups of 20
// rules, as the VPC bench's world has; no kcloud process runs. Each change is timed from its NB
// commit to the first probe started after it that shows it, with ovn-northd's count of rebuilds
// of every logical flow (its lflow node) for the change.
//
// usage: node bench/vpc/acl-latency.ts [--ports=5000] [--rounds=10]
// On a private OVN of its own with its data plane (KCLOUD_OVN picks the version); prints a table.
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../../hack/cluster/index.ts';
import { nbctl, startGuest, type Guest, type OvnLayout } from '../../hack/ovn/index.ts';
import { markdownTable } from '../lib/markdown.ts';
import { percentile } from '../lib/stats.ts';
import { runBench } from '../lib/run.ts';
import { readNorthdRuns } from './northd.ts';
import { withOvn } from './ovn-run.ts';
import { clientScript, enforcement, ProbeLog, serverScript, settled } from './probe.ts';

const port = 8080;
const server = { name: 'srv', mac: '0a:00:00:00:00:10', ip: '10.99.0.10' };
const client = { name: 'cli', mac: '0a:00:00:00:00:11', ip: '10.99.0.11' };
const ruleMatch = `outport == @sg_probe && ip4 && ip4.src == ${client.ip}/32 && tcp && tcp.dst == ${String(port)}`;
const setMatch = `outport == @sg_probe && ip4 && ip4.src == $probe_peers && tcp && tcp.dst == ${String(port)}`;

async function nb(layout: OvnLayout, args: string[]): Promise<string> {
  const r = await nbctl(layout, args, { timeoutSeconds: 600 });
  if (r.code !== 0) throw new Error(`ovn-nbctl ${args.slice(0, 3).join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

const mac = (i: number) =>
  `0a:01:${[16, 8, 0].map((s) => ((i >> s) & 255).toString(16).padStart(2, '0')).join(':')}:01`;

/** The guests' switch on a router, and `ports` more in switches of 100, as the VPC bench's. */
async function buildWorld(layout: OvnLayout, ports: number): Promise<void> {
  await nb(layout, ['lr-add', 'r']);
  const routerPort = (sw: string, lrpMac: string, cidr: string) => [
    'lrp-add',
    'r',
    `r-${sw}`,
    lrpMac,
    cidr,
    '--',
    'ls-add',
    sw,
    '--',
    'lsp-add',
    sw,
    `${sw}-r`,
    '--',
    'lsp-set-type',
    `${sw}-r`,
    'router',
    '--',
    'lsp-set-addresses',
    `${sw}-r`,
    'router',
    '--',
    'lsp-set-options',
    `${sw}-r`,
    `router-port=r-${sw}`,
  ];
  const baseline = (group: string, members: string[]) => [
    '--',
    'pg-add',
    group,
    ...members,
    '--',
    'acl-add',
    group,
    'from-lport',
    '1000',
    `inport == @${group} && ip`,
    'allow-related',
    '--',
    'acl-add',
    group,
    'to-lport',
    '1000',
    `outport == @${group} && ip`,
    'drop',
  ];
  await nb(layout, [
    ...routerPort('probe', '0a:ff:00:00:00:01', '10.99.0.1/24'),
    ...[server, client].flatMap((g) => [
      '--',
      'lsp-add',
      'probe',
      g.name,
      '--',
      'lsp-set-addresses',
      g.name,
      `${g.mac} ${g.ip}`,
    ]),
    ...baseline('base_probe', [server.name, client.name]),
    '--',
    'pg-add',
    'sg_probe',
    server.name,
    '--',
    'create',
    'Address_Set',
    'name=probe_peers',
  ]);
  for (let s = 0; s * 100 < ports; s++) {
    const sw = `s${String(s)}`;
    const names: string[] = [];
    const cmds = routerPort(
      sw,
      mac(0xff0000 + s),
      `10.${String(100 + (s >> 8))}.${String(s & 255)}.1/24`,
    );
    for (let p = 0; p < 100 && s * 100 + p < ports; p++) {
      const name = `p${String(s * 100 + p)}`;
      names.push(name);
      cmds.push(
        '--',
        'lsp-add',
        sw,
        name,
        '--',
        'lsp-set-addresses',
        name,
        `${mac(s * 100 + p)} 10.${String(100 + (s >> 8))}.${String(s & 255)}.${String(p + 10)}`,
      );
    }
    await nb(layout, [...cmds, ...baseline(`base_${sw}`, names)]);
  }
  // Ten SecurityGroups of 20 rules over the ports, as the VPC bench's 200 rules.
  for (let g = 0; g < 10 && ports > 0; g++) {
    const members: string[] = [];
    for (let i = g; i < ports; i += 10) members.push(`p${String(i)}`);
    const cmds = ['pg-add', `sg${String(g)}`, ...members];
    for (let r = 0; r < 20; r++) {
      cmds.push(
        '--',
        'acl-add',
        `sg${String(g)}`,
        'to-lport',
        String(2200 + r),
        `outport == @sg${String(g)} && ip4 && ip4.src == 10.${String(r)}.0.0/16 && tcp && tcp.dst == ${String(1000 + r)}`,
        'allow-related',
      );
    }
    await nb(layout, cmds);
  }
  await nb(layout, ['--wait=hv', 'sync']);
}

/** ovn-northd's rebuilds of every logical flow so far. */
const lflowRebuilds = async (layout: OvnLayout) => (await readNorthdRuns(layout)).lflowRecomputes;

interface Change {
  way: 'ACL' | 'address set';
  allowed: boolean;
  ms: number;
  rebuilds: number;
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ports: { type: 'string', default: '5000' },
      rounds: { type: 'string', default: '10' },
    },
    strict: true,
  });
  const ports = Number(values.ports);
  const rounds = Number(values.rounds);
  const print = (line: string) => {
    console.log(line);
  };
  const changes: Change[] = [];
  await withOvn(
    `${repoRoot}/.local/bench-runs/acl-latency-${String(process.pid)}`,
    { keep: false, log: print },
    async (layout) => {
      await buildWorld(layout, ports);
      const guests: Guest[] = [];
      try {
        for (const g of [server, client]) {
          guests.push(
            await startGuest(layout, {
              name: g.name,
              ifaceId: g.name,
              mac: g.mac,
              address: `${g.ip}/24`,
              gateway: '10.99.0.1',
            }),
          );
        }
        await nb(layout, ['--wait=hv', 'sync']);
        const [srv, cli] = guests as [Guest, Guest];
        const listener = srv.spawn([process.execPath, '-e', serverScript, String(port)]);
        await new Promise<void>((resolve, reject) => {
          listener.stdout?.on('data', (b: Buffer) => {
            if (b.toString().includes('listening')) resolve();
          });
          listener.once('exit', (code) => {
            reject(new Error(`the probe server exited (${String(code)})`));
          });
        });
        const log = new ProbeLog(
          cli.spawn([process.execPath, '-e', clientScript, server.ip, String(port), '20', '800']),
        );
        await log.until((a) => (settled(a, 10, false) ? true : undefined), 30_000, 'denied probes');
        const change = async (way: Change['way'], allowed: boolean, args: string[]) => {
          const before = await lflowRebuilds(layout);
          await nb(layout, args);
          const sent = Date.now();
          await log.until(
            (a) => (settled(a, 10, allowed) ? true : undefined),
            30_000,
            `${way} ${allowed ? 'open' : 'closed'}`,
          );
          // Attempts started before may still be in flight: let them end before picking.
          await sleep(900);
          const first = enforcement(log.attempts, sent, allowed);
          if (!first) throw new Error(`${way}: no probe shows the change`);
          changes.push({
            way,
            allowed,
            ms: first.t - sent,
            rebuilds: (await lflowRebuilds(layout)) - before,
          });
        };
        for (let r = 0; r < rounds; r++) {
          await change('ACL', true, [
            'acl-add',
            'sg_probe',
            'to-lport',
            '2300',
            ruleMatch,
            'allow-related',
          ]);
          await change('ACL', false, ['acl-del', 'sg_probe', 'to-lport', '2300', ruleMatch]);
        }
        await nb(layout, [
          '--wait=hv',
          'acl-add',
          'sg_probe',
          'to-lport',
          '2300',
          setMatch,
          'allow-related',
        ]);
        for (let r = 0; r < rounds; r++) {
          await change('address set', true, [
            'add',
            'Address_Set',
            'probe_peers',
            'addresses',
            `"${client.ip}"`,
          ]);
          await change('address set', false, [
            'remove',
            'Address_Set',
            'probe_peers',
            'addresses',
            `"${client.ip}"`,
          ]);
        }
      } finally {
        for (const g of guests) await g.close();
      }
    },
  );
  const row = (way: Change['way'], allowed: boolean) => {
    const c = changes.filter((x) => x.way === way && x.allowed === allowed);
    const ms = c.map((x) => x.ms);
    return [
      `${way} ${allowed ? 'opened' : 'closed'} (${String(c.length)})`,
      [50, 95, 100].map((p) => `${String(Math.round(percentile(ms, p)))} ms`).join(' / '),
      String(c.reduce((a, x) => a + x.rebuilds, 0) / Math.max(1, c.length)),
    ];
  };
  print(
    markdownTable(
      [
        'change, with ' + String(ports) + ' other ports',
        'NB commit → first probe showing it, p50 / p95 / max',
        'ovn-northd rebuilds of every logical flow per change',
      ],
      [row('ACL', true), row('ACL', false), row('address set', true), row('address set', false)],
    ),
  );
}

runBench(main);
