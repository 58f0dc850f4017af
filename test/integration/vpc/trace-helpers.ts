// Reachability between two NetworkInterfaces, asked of ovn-trace: one packet from A's port to
// B's address, traced through the logical flows ovn-northd wrote to the southbound database.
import { trace, type OvnLayout } from '../../../hack/ovn/index.ts';
import type { TestCluster } from '../../harness/index.ts';
import { ref, type VpcOperatorFixture } from './operator-fixture.ts';

/** What a trace needs to know of one interface, read from its status and OVN. */
export interface Endpoint {
  name: string;
  portName: string;
  macAddress: string;
  ipAddress: string;
  subnetUid: string;
  /** The northbound UUID of the interface's switch: how ovn-trace --no-friendly-names names it. */
  datapath: string;
  /** The MAC of the Subnet's router port: where a host sends what leaves its Subnet. */
  gatewayMac: string;
}

export type Traffic = { protocol: 'icmp' } | { protocol: 'tcp' | 'udp'; dst: number; src?: number };

/** The first packet of a connection, or a packet in reply to an established one. */
export type Conntrack = 'new' | 'reply';

export interface Verdict {
  /** B's port received the packet itself (not an ARP request or anything else made from it). */
  delivered: boolean;
  /** The packet got as far as the egress pipeline towards B's port (it left A). */
  reachedPort: boolean;
  /** ovn-trace's --summary output, for failure messages. */
  summary: string;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`no ${what}`);
  return value;
}

/** Reads a Ready interface's addresses, its Subnet's gateway MAC and its switch's datapath. */
export async function endpoint(
  cluster: TestCluster,
  ovn: VpcOperatorFixture,
  name: string,
): Promise<Endpoint> {
  const nic = await cluster.read(ref('NetworkInterface', name));
  const spec = (nic as { spec?: { subnetRef?: { name?: string } } }).spec;
  const subnet = await cluster.read(ref('Subnet', text(spec?.subnetRef?.name, `${name} subnet`)));
  const subnetUid = text(subnet.metadata?.uid, `${name} subnet uid`);
  const mac = await ovn.nb(['get', 'Logical_Router_Port', `kcloud-rtr-${subnetUid}`, 'mac']);
  const switchName = text(subnet.status?.switchName, `${name} subnet switchName`);
  const switchUuid = await ovn.nb(['get', 'Logical_Switch', switchName, '_uuid']);
  return {
    name,
    portName: text(nic.status?.portName, `${name} status.portName`),
    macAddress: text(nic.status?.macAddress, `${name} status.macAddress`),
    ipAddress: text(nic.status?.ipAddress, `${name} status.ipAddress`),
    subnetUid,
    datapath: text(switchUuid.trim(), `UUID of ${switchName}`),
    gatewayMac: text(JSON.parse(mac.trim()), `router port MAC of ${name}'s subnet`),
  };
}

export interface TraceOptions {
  ct?: Conntrack;
  /** Another destination MAC than a host would use (B's on the same Subnet, else the gateway's). */
  ethDst?: string;
}

/** The microflow of one packet from A to B. */
export function microflow(
  from: Endpoint,
  to: Endpoint,
  traffic: Traffic,
  opts: TraceOptions = {},
): string {
  const ethDst = opts.ethDst ?? (from.subnetUid === to.subnetUid ? to.macAddress : from.gatewayMac);
  const l4 =
    traffic.protocol === 'icmp'
      ? 'icmp4 && icmp4.type == 8 && icmp4.code == 0'
      : `${traffic.protocol} && ${traffic.protocol}.src == ${String(traffic.src ?? 49152)} && ${traffic.protocol}.dst == ${String(traffic.dst)}`;
  return [
    `inport == "${from.portName}"`,
    `eth.src == ${from.macAddress}`,
    `eth.dst == ${ethDst}`,
    `ip4.src == ${from.ipAddress}`,
    `ip4.dst == ${to.ipAddress}`,
    'ip.ttl == 64',
    l4,
  ].join(' && ');
}

interface Block {
  header: string;
  body: (string | Block)[];
}

/** ovn-trace --summary output as nested blocks: `header {` ... `};`. */
export function parseSummary(output: string): Block[] {
  const root: Block = { header: '', body: [] };
  const stack = [root];
  const lines = output.split('\n').map((l) => l.trim());
  if (!lines[0]?.startsWith('# ')) throw new Error(`not an ovn-trace summary:\n${output}`);
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const current = stack[stack.length - 1] ?? root;
    if (line === '};') {
      if (stack.length === 1) throw new Error(`unbalanced ovn-trace summary:\n${output}`);
      stack.pop();
    } else if (line.endsWith('{')) {
      const block = { header: line.slice(0, -1).trim(), body: [] };
      current.body.push(block);
      stack.push(block);
    } else {
      current.body.push(line);
    }
  }
  if (stack.length !== 1) throw new Error(`unbalanced ovn-trace summary:\n${output}`);
  return root.body.map((b) => {
    if (typeof b === 'string') throw new Error(`ovn-trace: ${b}\n${output}`);
    return b;
  });
}

const pipelineHeader =
  /^(ingress|egress)\(dp="([^"]+)", inport="([^"]+)"(?:, outport="([^"]+)")?\)$/;
const conntrackHeader = /^ct_next\(ct_state=[a-z|]+\)$/;

/**
 * Whether the traced packet reaches `port` on `datapath`. Only the packet's own path counts:
 * pipelines and connection-tracking steps. Branches that make another packet (the ARP request
 * a router sends for an unknown address, a multicast flood, an ICMP error) are not followed,
 * so their `output` is never taken for delivery.
 */
export function deliveryTo(
  summary: string,
  from: { portName: string },
  to: { portName: string; datapath: string },
): Omit<Verdict, 'summary'> {
  const top = parseSummary(summary);
  const start = top[0];
  const first = start?.header.match(pipelineHeader);
  if (!start || top.length !== 1 || first?.[1] !== 'ingress' || first[3] !== from.portName) {
    throw new Error(`the trace does not start at ${from.portName}:\n${summary}`);
  }
  let reachedPort = false;
  let delivered = false;
  const outputLine = `/* output to "${to.portName}", type "" */;`;
  // Statements of the egress towards B, through its ct_next steps.
  const egressOutputs = (block: Block) => {
    block.body.forEach((item, i) => {
      if (typeof item !== 'string') {
        if (conntrackHeader.test(item.header)) egressOutputs(item);
      } else if (item === 'output;' && block.body[i + 1] === outputLine) {
        delivered = true;
      }
    });
  };
  const walk = (block: Block) => {
    const pipeline = block.header.match(pipelineHeader);
    if (!pipeline && !conntrackHeader.test(block.header)) return;
    if (pipeline?.[1] === 'egress' && pipeline[2] === to.datapath && pipeline[4] === to.portName) {
      reachedPort = true;
      egressOutputs(block);
    }
    for (const item of block.body) if (typeof item !== 'string') walk(item);
  };
  walk(start);
  return { delivered, reachedPort };
}

/** How many times ovn-trace may meet ct_next on one path: a switch's ingress and egress twice. */
const conntrackSteps = 4;

/** Traces one packet from A to B and judges whether B's port receives it. */
export async function traceBetween(
  layout: OvnLayout,
  from: Endpoint,
  to: Endpoint,
  traffic: Traffic,
  opts: TraceOptions = {},
): Promise<Verdict> {
  const flags = (opts.ct ?? 'new') === 'new' ? 'new' : 'est,rpl';
  const args = [
    '--summary',
    '--no-friendly-names',
    ...Array.from({ length: conntrackSteps }, () => `--ct=${flags}`),
    microflow(from, to, traffic, opts),
  ];
  const r = await trace(layout, args);
  if (r.code !== 0) throw new Error(`ovn-trace failed (exit ${String(r.code)}): ${r.stderr}`);
  // A ct_next beyond our --ct flags would silently trace an established connection instead.
  if (r.stdout.includes('use --ct to customize')) {
    throw new Error(
      `ovn-trace met more ct_next steps than ${String(conntrackSteps)}:\n${r.stdout}`,
    );
  }
  return { ...deliveryTo(r.stdout, from, to), summary: r.stdout };
}
