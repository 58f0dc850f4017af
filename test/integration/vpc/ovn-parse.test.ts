// Every match, route and DHCP option kcloud writes is read by OVN itself, with nothing refused
// or dropped. ovn-northd copies ACL and policy matches into logical flows without parsing them;
// ovn-controller parses them on every host and drops a flow it cannot parse, logging a warning
// nobody would see. ovn-trace reads every logical flow with that same parser and warns about
// each one it cannot parse, so one trace over this database checks every match and action
// (the DHCP options go into actions). Then each ACL, policy and route must have its logical
// flow, written as kcloud wrote it (ovn-northd masks a route prefix with host bits, drops a
// route whose next hop it cannot parse or reach, and says so only in its log).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { sbctl, trace } from '../../../hack/ovn/index.ts';
import { useTestCluster, waitFor } from '../../harness/index.ts';
import { doc, ref, useVpcOperator } from './operator-fixture.ts';
import { endpoint, microflow } from './trace-helpers.ts';

const cluster = useTestCluster('vpc-ovn-parse');
const ovn = useVpcOperator(cluster);

const tcp = (from: number, to = from) => ({ protocol: 'TCP', ports: { from, to } });
const udp = (from: number, to = from) => ({ protocol: 'UDP', ports: { from, to } });

// Every form a rule's match takes: each protocol with one port, a range and no ports; peers as
// anywhere, a network, one host and another group; both directions and both actions.
const webRules = [
  { name: 'ssh', direction: 'Ingress', ...tcp(22), remoteCIDR: '10.0.2.7/32' },
  { name: 'web', direction: 'Ingress', ...tcp(8000, 8080), remoteCIDR: '0.0.0.0/0', priority: 500 },
  { name: 'tcp-any', direction: 'Ingress', protocol: 'TCP', remoteCIDR: '10.0.0.0/16' },
  { name: 'dns', direction: 'Egress', ...udp(53), remoteCIDR: '10.0.0.2/32' },
  { name: 'udp-range', direction: 'Egress', ...udp(1, 65535), remoteCIDR: '172.16.0.0/12' },
  {
    name: 'udp-any',
    direction: 'Ingress',
    protocol: 'UDP',
    remoteCIDR: '10.0.0.0/8',
    action: 'Deny',
  },
  { name: 'ping', direction: 'Ingress', protocol: 'ICMP', remoteSecurityGroupRef: { name: 'db' } },
  {
    name: 'no-out',
    direction: 'Egress',
    protocol: 'All',
    remoteCIDR: '0.0.0.0/0',
    action: 'Deny',
    priority: 1,
  },
  // Named like the group's built-in ACL: both must be there.
  { name: 'same-group', direction: 'Ingress', protocol: 'All', remoteCIDR: '192.168.0.0/16' },
];
const dbRules = [
  { name: 'from-web', direction: 'Ingress', ...tcp(5432), remoteSecurityGroupRef: { name: 'web' } },
  { name: 'to-web', direction: 'Egress', protocol: 'All', remoteSecurityGroupRef: { name: 'web' } },
];
const naclRules = [
  { ruleNumber: 10, direction: 'Ingress', ...tcp(22), cidr: '10.0.2.0/24', action: 'Allow' },
  { ruleNumber: 20, direction: 'Ingress', ...udp(1000, 2000), cidr: '10.0.2.7/32', action: 'Deny' },
  { ruleNumber: 30, direction: 'Ingress', protocol: 'ICMP', cidr: '0.0.0.0/0', action: 'Allow' },
  { ruleNumber: 40, direction: 'Ingress', protocol: 'All', cidr: '172.16.0.0/12', action: 'Deny' },
  { ruleNumber: 10, direction: 'Egress', protocol: 'TCP', cidr: '0.0.0.0/0', action: 'Allow' },
  { ruleNumber: 20, direction: 'Egress', ...udp(53), cidr: '10.0.0.2/32', action: 'Allow' },
  { ruleNumber: 30, direction: 'Egress', protocol: 'ICMP', cidr: '10.0.2.0/24', action: 'Deny' },
  { ruleNumber: 40, direction: 'Egress', protocol: 'All', cidr: '0.0.0.0/0', action: 'Allow' },
];
const routes = [
  { destination: '0.0.0.0/0', nextHopInterfaceRef: { name: 'fw' } },
  { destination: '172.16.0.1/32', nextHopIP: '10.0.1.254' },
  { destination: '192.168.0.0/16', blackhole: true },
];

/** Rows of `ovn-nbctl/ovn-sbctl --format=json list`, as column → value. */
function rows(json: string): Record<string, unknown>[] {
  const table = JSON.parse(json) as { headings: string[]; data: unknown[][] };
  return table.data.map((r) => Object.fromEntries(table.headings.map((h, i) => [h, r[i]])));
}

async function sb(args: string[]): Promise<string> {
  const r = await sbctl(ovn.layout(), args);
  if (r.code !== 0) throw new Error(`ovn-sbctl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Warnings and errors in a log or on stderr about what was read, leaving out the daemons'
 * reconnect chatter and what a busy machine makes them say (a long poll interval, the CPU
 * use that comes with it).
 */
const complaints = (text: string) =>
  text
    .split('\n')
    .filter(
      (l) => /\|(WARN|ERR|EMER)\|/.test(l) && !/\|(reconnect|timeval|poll_loop|coverage)\|/.test(l),
    );

const nics = ['app', 'db1', 'fw', 'b1'];

async function logicalFlows(): Promise<{ match: string; actions: string }[]> {
  return rows(await sb(['--format=json', '--columns=match,actions', 'list', 'Logical_Flow'])).map(
    (r) => ({ match: String(r.match), actions: String(r.actions) }),
  );
}

/** One packet from b1 to app traced: ovn-trace parses every logical flow on the way in. */
async function traceOnce(): Promise<{ code: number | null; stderr: string }> {
  const [from, to] = [await endpoint(cluster, ovn, 'b1'), await endpoint(cluster, ovn, 'app')];
  return trace(ovn.layout(), ['--summary', microflow(from, to, { protocol: 'tcp', dst: 22 })]);
}

/** The matches of the ACLs that have no logical flow. */
async function aclsWithoutFlow(): Promise<string[]> {
  const acls = rows(await ovn.nb(['--format=json', '--columns=match', 'list', 'ACL']));
  const flows = await logicalFlows();
  // ovn-northd writes a stateful ACL's match in parentheses after conditions of its own, a
  // stateless one as it is.
  return acls
    .map((a) => String(a.match))
    .filter((m) => !flows.some((f) => f.match === m || f.match.includes(`(${m})`)));
}

beforeAll(async () => {
  await cluster.apply(
    [
      doc('VPC', 'v', { cidrBlocks: ['10.0.0.0/16'], dnsServers: ['1.1.1.1'] }),
      doc('Subnet', 'a', {
        vpcRef: { name: 'v' },
        cidrBlock: '10.0.1.0/24',
        excludedRanges: ['10.0.1.200-10.0.1.210', '10.0.1.99'],
        dnsServers: ['10.0.0.2', '8.8.8.8'],
        dhcp: { enabled: true, leaseTimeSeconds: 600 },
      }),
      doc('Subnet', 'b', {
        vpcRef: { name: 'v' },
        cidrBlock: '10.0.2.0/24',
        gatewayIP: '10.0.2.254',
      }),
      doc('SecurityGroup', 'web', { vpcRef: { name: 'v' }, rules: webRules }),
      doc('SecurityGroup', 'db', { vpcRef: { name: 'v' }, rules: dbRules }),
      doc('NetworkInterface', 'app', {
        subnetRef: { name: 'a' },
        securityGroupRefs: [{ name: 'web' }],
      }),
      doc('NetworkInterface', 'db1', {
        subnetRef: { name: 'a' },
        securityGroupRefs: [{ name: 'db' }],
      }),
      doc('NetworkInterface', 'fw', { subnetRef: { name: 'a' }, portSecurity: false }),
      doc('NetworkInterface', 'b1', {
        subnetRef: { name: 'b' },
        ipAddress: '10.0.2.7',
        macAddress: '02:00:00:00:02:07',
        securityGroupRefs: [{ name: 'web' }, { name: 'db' }],
      }),
      doc('NetworkACL', 'edge', { subnetRefs: [{ name: 'a' }], rules: naclRules }),
      doc('RouteTable', 'rt', { vpcRef: { name: 'v' }, subnetRefs: [{ name: 'b' }], routes }),
    ].join('---\n'),
  );
  for (const [kind, name] of [
    ...nics.map((n) => ['NetworkInterface', n]),
    ['SecurityGroup', 'web'],
    ['SecurityGroup', 'db'],
    ['NetworkACL', 'edge'],
    ['RouteTable', 'rt'],
  ] as const) {
    await cluster.waitForCondition(ref(kind, name), 'Ready');
  }
});

describe("OVN's own parser reads everything kcloud writes", () => {
  it('parses every logical flow: no match or action refused', async () => {
    // ovn-northd has caught up with the last write once every ACL has its flows.
    await waitFor(async () => (await aclsWithoutFlow()).length === 0, {
      what: 'ovn-northd to write a flow for every ACL',
      timeoutMs: 10_000,
      describe: async () => JSON.stringify(await aclsWithoutFlow()),
    });
    const r = await traceOnce();
    expect(r.code).toBe(0);
    // ovn-trace reads every logical flow of the database, not only those on the traced path.
    expect(complaints(r.stderr)).toEqual([]);
    expect(r.stderr).not.toMatch(/parsing (expression|actions) failed/);
  });

  it('has a logical flow with each ACL and router policy match, as written', async () => {
    const acls = rows(await ovn.nb(['--format=json', '--columns=match', 'list', 'ACL']));
    // 9 + 2 rules, the two groups' built-in ACLs, 4 NetworkACL ingress rules, and the 2 baseline
    // ACLs of each Subnet's interfaces group (a and b).
    expect(acls).toHaveLength(21);
    expect(await aclsWithoutFlow()).toEqual([]);
    const flows = await logicalFlows();
    const policies = rows(
      await ovn.nb(['--format=json', '--columns=match', 'list', 'Logical_Router_Policy']),
    ).map((p) => String(p.match));
    expect(policies).toHaveLength(4);
    expect(policies.filter((m) => !flows.some((f) => f.match.includes(m)))).toEqual([]);
  });

  it('has a routing flow for each route, to the prefix written', async () => {
    const flows = await logicalFlows();
    const prefixes = rows(
      await ovn.nb(['--format=json', '--columns=ip_prefix', 'list', 'Logical_Router_Static_Route']),
    ).map((r) => String(r.ip_prefix));
    expect(prefixes.sort()).toEqual(['0.0.0.0/0', '172.16.0.1/32', '192.168.0.0/16']);
    const routed = (prefix: string) =>
      flows.some((f) =>
        new RegExp(`ip4\\.dst == ${prefix.replaceAll('.', '\\.')}(?![0-9])`).test(f.match),
      );
    expect(prefixes.filter((p) => !routed(p))).toEqual([]);
  });

  it('serves DHCP with every option kcloud set, for every interface', async () => {
    const actions = (await logicalFlows()).map((f) => f.actions);
    for (const name of nics) {
      const nic = await cluster.read(ref('NetworkInterface', name));
      const ip = String(nic.status?.ipAddress);
      const offer = actions.find((a) => a.includes(`offerip = ${ip},`));
      expect(offer).toBeDefined();
      if (ip.startsWith('10.0.1.')) {
        expect(offer).toContain('dns_server = {10.0.0.2, 8.8.8.8}');
        expect(offer).toContain('lease_time = 600');
      } else {
        expect(offer).toContain('dns_server = {1.1.1.1}');
        expect(offer).toContain('router = 10.0.2.254');
      }
    }
  });

  it('leaves nothing for ovn-northd to complain about', async () => {
    const log = await readFile(path.join(ovn.layout().logDir, 'ovn-northd.log'), 'utf8');
    expect(complaints(log)).toEqual([]);
  });

  it('would notice a match OVN cannot parse: the check itself works', async () => {
    // Written by hand, owned by nobody: the operator leaves it alone. A leading zero in the
    // prefix is one of the spellings OVN refuses.
    const subnet = await cluster.read(ref('Subnet', 'a'));
    const sw = String(subnet.status?.switchName);
    const bad = 'ip4.src == 10.0.2.0/08';
    await ovn.nb(['acl-add', sw, 'to-lport', '1', bad, 'allow']);
    try {
      await waitFor(async () => (await logicalFlows()).some((f) => f.match.includes(bad)), {
        what: 'ovn-northd to write the hand-made ACL',
        timeoutMs: 10_000,
      });
      const r = await traceOnce();
      expect(r.stderr).toMatch(/parsing expression failed/);
      expect(complaints(r.stderr).join('\n')).toContain(bad);
    } finally {
      await ovn.nb(['acl-del', sw, 'to-lport', '1', bad]);
    }
  });
});
