// The VPC benchmark's section of docs/benchmarks.md: method, machine, date, and the figures.
import { markdownTable } from '../lib/markdown.ts';
import { mebibytes } from '../lib/memory.ts';
import { formatCount } from '../lib/progress.ts';
import { percentile, perSecond, summarize } from '../lib/stats.ts';
import type { GroupsResult } from './groups.ts';
import type { BulkWriteResult } from './nb-writes.ts';
import type { NorthdRuns } from './northd.ts';
import type { PlugMode, PortUpResult } from './port-up.ts';
import type { PhaseWork, ScaleResult } from './scale.ts';
import type { SgChange, SgResult } from './sg-enforce.ts';
import { probe } from './sg-enforce.ts';

export const sectionHeading = 'VPC operator';

export interface VpcRunInfo {
  date: string;
  machine: string;
  node: string;
  kubernetes: string;
  /** e.g. "OVN 23.03.1, Open vSwitch 3.1.0" */
  ovn: string;
  durationMs: number;
  /** The 5-minute load average when the run ended: how busy the machine was meanwhile. */
  loadAtEnd: number;
  /** The command line, flags included when not the defaults. */
  command: string;
}

export interface ManagerMemory {
  readyRssBytes: number;
  afterScaleRssBytes: number;
  endRssBytes: number;
  peakRssBytes: number;
}

export interface VpcBenchResults {
  run: VpcRunInfo;
  scale: ScaleResult;
  manager: ManagerMemory;
  portUp: PortUpResult;
  sg: SgResult;
  groups: GroupsResult;
  bulk: BulkWriteResult;
  /** ovn-northd's own counters over each phase. */
  northd: { scale: NorthdRuns; portUp: NorthdRuns; sg: NorthdRuns };
}

export const ms = (n: number) => (n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(2)} s`);
const seconds = (n: number) => `${(n / 1000).toFixed(1)} s`;
const rate = (n: number) => `${formatCount(n)} objects/s`;
const northdRow = (phase: string) =>
  `ovn-northd during ${phase}: full recomputes of its northd node (each one's p95 / max) and incremental runs; rebuilds of every logical flow (their build p95 + SB write p95)`;
const count = (n: number, what: string) => `${formatCount(n)} ${what}${n === 1 ? '' : 's'}`;

/** `p50 / p95 / max` of samples, nearest rank. */
export function p50p95max(values: readonly number[]): string {
  if (values.length === 0) return 'no samples';
  return [50, 95, 100].map((p) => ms(percentile(values, p))).join(' / ');
}

export function median(values: readonly number[]): number {
  return summarize(values).p50;
}

/** How many times slower ovn-nbctl was than the client, by median; below 1 the client was slower. */
export function nbctlRatio(bulk: BulkWriteResult): number {
  return median(bulk.ms.nbctl) / median(bulk.ms.client);
}

/** `name 1,234 (12 ms)` per controller, busiest first. */
export function reconcilesCell(work: PhaseWork): string {
  return Object.entries(work.reconciles)
    .sort(([, a], [, b]) => b - a)
    .map(([name, n]) => {
      const each = ((work.seconds[name] ?? 0) * 1000) / n;
      return `${name.replace(/-controller$/, '')} ${formatCount(n)} (${ms(each)} each)`;
    })
    .join('; ');
}

/** `resource VERB 1,234` per resource and verb, most first. */
export function writesCell(work: PhaseWork): string {
  return Object.entries(work.apiWrites)
    .sort(([, a], [, b]) => b - a)
    .map(([what, n]) => `${what} ${formatCount(n)}`)
    .join('; ');
}

/** `name 12 s` per process, busiest first. */
export function cpuCell(work: PhaseWork): string {
  return Object.entries(work.cpu)
    .sort(([, a], [, b]) => b - a)
    .filter(([, s]) => s >= 0.5)
    .map(([name, s]) => `${name} ${s.toFixed(0)} s`)
    .join('; ');
}

/** `1,200 full recomputes (1.18 s / 2.21 s), 34 incremental; 3 rebuilds (70 ms + 41 ms)` */
export function northdCell(n: NorthdRuns): string {
  return `${count(n.runs, 'full recompute')} (${ms(n.p95Ms)} / ${ms(n.maxMs)}), ${formatCount(n.computes)} incremental; ${count(n.lflowRecomputes, 'rebuild')} (${ms(n.buildP95Ms)} + ${ms(n.syncP95Ms)})`;
}

/** Per group of the many-groups phase: what one controller spent, and what it wrote. */
function perGroup(g: GroupsResult): { reconciles: number; writes: number } {
  return {
    reconciles: g.work.reconciles['securitygroup-controller'] ?? 0,
    writes: g.work.apiWrites['securitygroups/status APPLY'] ?? 0,
  };
}

/** The many-groups phase's rows: also printed alone by `--only=groups`. */
export function groupsRows(g: GroupsResult): string[][] {
  const n = g.sizes.groups;
  const { reconciles, writes } = perGroup(g);
  return [
    [
      `${formatCount(n)} SecurityGroups in one namespace, each naming ${count(g.sizes.references, 'other')} (${g.concurrency} creates in flight): all Ready, from the first create sent`,
      `**${seconds(g.readyMs)}** (${rate(perSecond(n, g.readyMs))}); the manager idle after ${seconds(g.idleMs)}`,
    ],
    [
      '… SecurityGroup reconciles per group; status writes per group (at least 1 each)',
      `**${(reconciles / n).toFixed(2)}; ${(writes / n).toFixed(2)}** (${formatCount(reconciles)} reconciles, ${formatCount(writes)} writes)`,
    ],
  ];
}

function roundsCell(values: readonly number[]): string {
  return `${values.map(ms).join(', ')} (median ${ms(median(values))})`;
}

export function renderSection(r: VpcBenchResults): string {
  const { run, scale, manager, portUp, sg, bulk } = r;
  const sizes = scale.sizes;
  const mode = (m: PlugMode) => portUp.samples.filter((s) => s.mode === m);
  const onStatus = mode('on-status');
  const atCreate = mode('at-create');
  const changes = (list: readonly SgChange[], key: keyof SgChange) => list.map((c) => c[key]);
  const missed = [...sg.added, ...sg.removed].reduce((n, c) => n + c.misses, 0);
  const ratio = nbctlRatio(bulk);
  const ports = formatCount(bulk.ports);

  const rows: string[][] = [
    [
      `Created through the API: 1 VPC, ${formatCount(sizes.subnets)} Subnets, ${formatCount(sizes.securityGroups)} SecurityGroups (${formatCount(sizes.rules)} rules in all), ${formatCount(sizes.nics)} NICs; ${scale.concurrency} in flight`,
      `${formatCount(scale.objects)} objects in ${seconds(scale.createMs)} (${rate(perSecond(scale.objects, scale.createMs))})`,
    ],
    [
      'Every CR Ready for its generation, from the first create sent',
      `**${seconds(scale.readyMs)}** (${rate(perSecond(scale.objects, scale.readyMs))})`,
    ],
    [
      `NB fully programmed, from the first create sent: ${formatCount(scale.counts.nicPorts)} NIC ports in their switches, ${formatCount(scale.counts.baselineMembers)} + ${formatCount(scale.counts.groupMembers)} port-group members (baseline + SecurityGroups), ${formatCount(scale.counts.groupAcls)} SecurityGroup ACLs`,
      `**${seconds(scale.nbMs)}** (${rate(perSecond(scale.objects, scale.nbMs))})`,
    ],
    [
      'The manager idle (every work queue empty), from the first create sent',
      seconds(scale.idleMs),
    ],
    ['NIC create sent → NIC seen Ready, p50 / p95 / max', p50p95max(scale.nicReadyMs)],
    [northdRow('the scale phase'), northdCell(r.northd.scale)],
    [
      'Manager process RSS: ready with nothing to do; after the scale phase; at the end (peak)',
      `${mebibytes(manager.readyRssBytes)}; ${mebibytes(manager.afterScaleRssBytes)}; ${mebibytes(manager.endRssBytes)} (${mebibytes(manager.peakRssBytes)})`,
    ],
    [
      `NIC create sent → port up, guest plugged once status.portName appears (${count(onStatus.length, 'NIC')}), p50 / p95 / max`,
      `**${p50p95max(onStatus.map((s) => s.up))}**`,
    ],
    ['… of which create sent → status.portName seen', p50p95max(onStatus.map((s) => s.status))],
    ['… of which guest plugged → port up', p50p95max(onStatus.map((s) => s.up - s.plugged))],
    [
      `NIC create sent → port up, guest plugged from the create response on (${count(atCreate.length, 'NIC')}), p50 / p95 / max`,
      `**${p50p95max(atCreate.map((s) => s.up))}**`,
    ],
    [
      '… of which create sent → guest plugged (startGuest returned)',
      p50p95max(atCreate.map((s) => s.plugged)),
    ],
    [northdRow('the port-up phase'), northdCell(r.northd.portUp)],
    [
      `SecurityGroup rule added → first probe through (${count(sg.added.length, 'round')}), p50 / p95 / max`,
      `**${p50p95max(changes(sg.added, 'enforced'))}**`,
    ],
    ['… of which update sent → ACL in NB', p50p95max(changes(sg.added, 'nb'))],
    [
      `SecurityGroup rule removed → first probe dropped (${count(sg.removed.length, 'round')}), p50 / p95 / max`,
      `**${p50p95max(changes(sg.removed, 'enforced'))}**`,
    ],
    ['… of which update sent → ACL gone from NB', p50p95max(changes(sg.removed, 'nb'))],
    [northdRow('the SecurityGroup phase'), northdCell(r.northd.sg)],
    ...groupsRows(r.groups),
    [
      `NB write, a switch and ${ports} ports in one transaction: OvsdbClient monitoring both tables (as the operator runs), ${count(bulk.ms.client.length, 'round')}`,
      roundsCell(bulk.ms.client),
    ],
    [`The same, OvsdbClient without a monitor`, roundsCell(bulk.ms['client-unmonitored'])],
    [`The same, one ovn-nbctl run (ls-add + ${ports} lsp-add)`, roundsCell(bulk.ms.nbctl)],
    [
      'ovn-nbctl median / OvsdbClient (monitoring) median',
      `**${ratio.toFixed(2)}×** (${ratio >= 1 ? 'the client is not slower' : 'the client is slower'})`,
    ],
  ];

  return [
    `Measured on ${run.date}: ${run.machine}; Node ${run.node}; kube-apiserver ${run.kubernetes}; etcd with fsync on; ${run.ovn} (userspace datapath); 5-minute load average ${run.loadAtEnd.toFixed(2)} at the end. ` +
      `Run it with \`make bench\` (\`${run.command}\`; \`--nics=200\` and the other size flags make a quick run); this run took ${(run.durationMs / 60_000).toFixed(1)} min.`,
    'How: the bench starts a control plane of its own in `.local/bench-runs/`, and beside it a private OVN with its data plane (`hack/ovn`: NB and SB ovsdb-server, ovn-northd, ovs-vswitchd in a network namespace of its own, ovn-controller as the one chassis), and stops both by their PIDs at the end. ' +
      'The operator runs as a real `kcloud-manager --operators=vpc` process (no leader election) on the bench’s namespace, against the NB unix socket. ' +
      'As the chart and `make demo` do, the API server puts the operator’s finalizer on every VPC object at create (a MutatingAdmissionPolicy, `controllers/admission`); `--no-create-finalizer` leaves it to the operator, one write more per object. ' +
      'The bench watches the CRs with informers of its own and NB with a monitoring OVSDB client of its own, and notes when each change arrives. The API server, etcd, the OVN daemons, the manager and the bench share the two cores.',
    markdownTable(['what', 'result'], rows),
    `- **Scale**: every object is created with one POST, ${scale.concurrency} requests in flight, in dependency order (VPC, Subnets, SecurityGroups, NICs) but without waiting for any to be Ready. ` +
      `NIC _i_ is in Subnet _i_ mod ${sizes.subnets} and SecurityGroup _i_ mod ${sizes.securityGroups}; the rules mix TCP, UDP and ICMP, Ingress and Egress, CIDRs and references to another group. ` +
      '“Ready” is the bench’s informer seeing Ready=True for the object’s generation (polled every 50 ms). ' +
      '“NB fully programmed” is the bench’s replica of NB holding every NIC’s logical switch port inside its Subnet’s switch, every NIC port in the baseline port group and in its SecurityGroup’s port group, and every SecurityGroup ACL (polled every 100 ms). ' +
      'A SecurityGroup is Ready before all its members have joined its port group, which is why NB can finish after the CRs. ' +
      'Reconciles and their time come from the manager’s /metrics (`controller_runtime_reconcile_total`, `…_time_seconds_sum`), API writes from the API server’s (`apiserver_request_total`, the VPC group and events), each read before the first create and once the manager is idle. ' +
      'Manager RSS is read from /proc while it runs, with its caches full, without forcing a garbage collection (peak: sampled every second).',
    `- **Where the scale phase’s work went** (the ${seconds(scale.work.wallMs)} from before the first create until the manager was idle): ` +
      `reconciles per controller (mean time each, waits included): ${reconcilesCell(scale.work)}. ` +
      `API writes per resource and verb (the bench’s creates included): ${writesCell(scale.work)}. ` +
      `CPU time per process (two cores, shared with whatever else the machine ran): ${cpuCell(scale.work)}.`,
    '- **Port up**: NICs are created one at a time in a Subnet of their own, alternating two ways of plugging them into br-int, each a guest (`hack/ovn/guest.ts`: a network namespace whose veth is a br-int port with `external_ids:iface-id`). ' +
      '_Once status.portName appears_: the bench waits for its informer to show the NIC’s portName, address and MAC, then plugs a guest with them, as an agent reading the status would. ' +
      '_From the create response on_: the NIC’s address and MAC are fixed in its spec and the guest is plugged right after the create returns, with the iface-id the operator names the port after (`kcloud-eni-<uid>`, checked against status.portName), as a host that has its VM’s interface ready would; the port cannot be plugged before the create, since its name comes from the UID. ' +
      'Both are measured from the create request sent to the bench’s NB replica receiving `up=true` on the logical switch port: ovn-northd has made a Port_Binding of the new port, ovn-controller has claimed it and set it up, and ovn-northd has copied that back to NB; so plugged → up holds the ovn-northd run for `up`, and the one for the new port unless it was over by then. ' +
      'The guest is closed after each NIC.',
    `- **SecurityGroup enforcement**: a server guest in a SecurityGroup without rules (inbound denied, as for every interface) and a client guest outside it; the client starts a TCP connection to the server every ${probe.everyMs} ms, each with a deadline of ${probe.timeoutMs} ms (\`node -e\` inside the guests). ` +
      `Before the first round, all ${formatCount(sg.deniedBefore)} attempts were dropped. A round replaces the group’s rules (merge patch) with one allowing TCP ${probe.port} from the client’s address, then with none. ` +
      `“Through” is the earliest-started attempt after the update that connected; “dropped” the earliest-started one that missed its deadline after the last one that connected (on a busy machine an attempt can miss it with the path open); times are when that attempt started, so the resolution is ${probe.everyMs} ms. ` +
      `A round ends after 10 attempts in a row have the new outcome; ${missed === 0 ? 'no attempt missed its deadline with the path open' : `${formatCount(missed)} ${missed === 1 ? 'attempt' : 'attempts'} in all missed their deadline with the path open`}.`,
    `- **Many groups**: ${formatCount(r.groups.sizes.groups)} more SecurityGroups in the bench’s namespace (beside the scale phase’s), created in order; group _i_ has one CIDR rule and names groups _i_+1 … _i_+${r.groups.sizes.references} (mod ${formatCount(r.groups.sizes.groups)}), so most name a group not created yet, report SecurityGroupNotFound, and become Ready when it appears. ` +
      'A change of a group requeues only the groups whose rules name it (an index of the groups each rule names), not every group of the namespace, so the work grows with the number of groups rather than its square. ' +
      `Reconciles and status writes are counted from before the first create until the manager is idle; where the rest of the phase’s work went: ${reconcilesCell(r.groups.work)}; ${writesCell(r.groups.work)}.`,
    '- **ovn-northd** rows: its own counters, reset at the start of each phase and read at its end: the `ovnnb_db_run` stopwatch (`ovn-appctl stopwatch/show`), which ovn-northd samples only when it recomputes its northd node in full (its count and the time of each), the incremental runs of that node (`inc-engine/show-stats`), and how many times it rebuilt every logical flow (its lflow node), with the p95 of the rebuild (`build_flows_ctx`) and of writing the result to SB (`lflows_to_sb`). ' +
      'OVN 25.03 rebuilds every logical flow on any change to an ACL (its lflow node has no incremental handler for the ACL table; OVN 25.09 has one), so a SecurityGroup rule reaches ovn-controller only after a rebuild whose time grows with the whole database. ' +
      'Its engine also runs on southbound changes, so the counts can differ a little. A full recompute takes longer the bigger the database; flows reach ovn-controller only after it.',
    `- **NB writes**: one transaction inserting a Logical_Switch and ${ports} Logical_Switch_Ports (the ports joined to the switch by one mutate), written by \`OvsdbClient.transact\` with \`operationsFor\` (\`controllers/ovsdb\`) and by one \`ovn-nbctl\` run (\`ls-add\` and ${ports} \`-- lsp-add\`), on the bench’s NB server before the manager starts. ` +
      `The writers take turns going first in each round; before each write ovn-northd has caught up (\`ovn-nbctl --wait=sb sync\`), and after it the switch and its ports are deleted. ` +
      `The client times the transaction on an open connection (as the operator writes); the ovn-nbctl time is the whole run: starting, connecting, reading the database, the transaction (an \`ovn-nbctl ls-list\` took ${ms(median(bulk.nbctlFixedMs))} by median).`,
  ].join('\n\n');
}
