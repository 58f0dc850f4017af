// The edge benchmark's section of docs/benchmarks.md.
import { markdownTable } from '../lib/markdown.ts';
import { formatCount } from '../lib/progress.ts';
import { summarize } from '../lib/stats.ts';
import type { BulkResult, LbResult } from './lbs.ts';
import { workCell } from './work.ts';
import { probe, type BindSample, type RebindResult, type Writer } from './rebind.ts';

export const sectionHeading = 'Network edge: EIPs and load balancers';

export interface EdgeRun {
  date: string;
  machine: string;
  node: string;
  kubernetes: string;
  ovn: string;
  command: string;
  creates: number;
  durationMs: number;
  /** The 5-minute load average at the end. */
  loadAtEnd: number;
}

export interface EdgeResults {
  run: EdgeRun;
  rebind: RebindResult;
  lbs: LbResult;
  nats: BulkResult;
}

/** Milliseconds as the table shows them: whole ms below 10 s, else seconds with one decimal. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms < 10_000 ? `${formatCount(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** p50 / p95 / max of some samples. */
export function spread(values: readonly number[]): string {
  const s = summarize(values);
  return `${duration(s.p50)} / ${duration(p95(values))} / ${duration(s.max)}`;
}

/** How many times `a` is of `b`, as `2.31×`. */
export function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a';
}

/** The nearest-rank 95th percentile. */
export function p95(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)] ?? NaN;
}

function bulkRows(
  r: BulkResult,
  what: { objects: string; rows: string; oneRun: string; perObject: string; ready: string },
): string[][] {
  const per = (ms: number) => `${duration(ms)} (${formatCount((r.count * 1000) / ms)}/s)`;
  return [
    [`Baseline: ${what.rows}, one ovn-nbctl run`, per(r.baseline.oneRunMs)],
    [`Baseline: the same, ${what.perObject}`, per(r.baseline.perObjectMs)],
    [`kcloud: ${what.objects} created through the API`, duration(r.kcloud.createdMs)],
    [`kcloud: ${what.ready}, from the first create sent`, per(r.kcloud.readyMs)],
    [`kcloud: every row in NB, from the first create sent`, `**${per(r.kcloud.nbMs)}**`],
    ['kcloud: the manager’s reconciles meanwhile (mean time each)', workCell(r.work)],
    [
      'kcloud (rows in NB) / baseline',
      `**${ratio(r.kcloud.nbMs, r.baseline.oneRunMs)}** of ${what.oneRun}; **${ratio(r.kcloud.nbMs, r.baseline.perObjectMs)}** of ${what.perObject}`,
    ],
  ];
}

function bindRows(samples: readonly BindSample[]): string[][] {
  const of = (w: Writer) => samples.filter((s) => s.writer === w);
  const k = of('kcloud');
  const n = of('nbctl');
  const answer = (s: readonly BindSample[]) => s.map((x) => x.answerMs);
  const misses = (s: readonly BindSample[]) => s.reduce((a, x) => a + x.misses, 0);
  return [
    [
      `kcloud: EIP spec re-bound → first answer from the new guest (${String(k.length)} re-binds), p50 / p95 / max`,
      `**${spread(answer(k))}**`,
    ],
    ['… of which spec write → NAT row for the new port in NB', spread(k.map((x) => x.writtenMs))],
    [
      '… spec write → EIP seen Ready for the new generation',
      spread(k.map((x) => x.readyMs ?? NaN)),
    ],
    [
      `Baseline: ovn-nbctl re-bind (lr-nat-del, then lr-nat-add) → first answer (${String(n.length)} re-binds), p50 / p95 / max`,
      `**${spread(answer(n))}**`,
    ],
    ['… of which the two ovn-nbctl runs', spread(n.map((x) => x.writtenMs))],
    [
      'kcloud / baseline, at p50 and p95',
      `**${ratio(summarize(answer(k)).p50, summarize(answer(n)).p50)}**, **${ratio(p95(answer(k)), p95(answer(n)))}**`,
    ],
    [
      'Attempts started after the write that got no answer (all re-binds)',
      `kcloud ${formatCount(misses(k))}; baseline ${formatCount(misses(n))}`,
    ],
  ];
}

export function renderSection(r: EdgeResults): string {
  const { run, lbs, nats, rebind } = r;
  const rows = [
    ...bindRows(rebind.samples),
    ...bulkRows(lbs, {
      objects: `${formatCount(lbs.count)} LoadBalancers × ${String(lbs.members)} members`,
      rows: `${formatCount(lbs.count)} Load_Balancer rows × ${String(lbs.members)} backends on the router and ${String(lbs.switches)} switches`,
      oneRun: 'one run',
      perObject: 'one ovn-nbctl run per LoadBalancer, in turn',
      ready: 'every LoadBalancer Ready',
    }),
    ...bulkRows(nats, {
      objects: `${formatCount(nats.count)} EIPs, each bound to a NetworkInterface`,
      rows: `${formatCount(nats.count)} dnat_and_snat NAT rows (logical port and MAC: distributed) on the router`,
      oneRun: 'one run',
      perObject: 'one ovn-nbctl run per row, in turn',
      ready: 'every EIP Ready and bound',
    }),
  ];
  return [
    `Measured on ${run.date}: ${run.machine}; Node ${run.node}; kube-apiserver ${run.kubernetes}; etcd with fsync on; ${run.ovn} (userspace datapath); 5-minute load average ${run.loadAtEnd.toFixed(2)} at the end. Run it with \`make bench\` (\`${run.command}\`; \`--lbs=10 --nats=20 --binds=20 --block=10\` makes a quick run); this run took ${(run.durationMs / 60_000).toFixed(1)} min.`,
    '',
    'How: the bench starts a control plane of its own and a private OVN with its data plane (`hack/ovn`: NB and SB ovsdb-server, ovn-northd, ovs-vswitchd in a network namespace of its own, ovn-controller as the one chassis and the EIP gateway chassis), and stops both by their PIDs at the end. The operators run as one real `kcloud-manager --operators=vpc,eip,slb` process (no leader election) on the bench’s namespace, against the NB unix socket. The bench watches the CRs with informers of its own and NB with a monitoring OVSDB client of its own, and notes when each change arrives. Each ovn-nbctl baseline runs in the same run against the same NB, on the same router and switches; before each timed write ovn-northd has caught up (`ovn-nbctl --wait=sb sync`), and the baseline’s rows are deleted before kcloud writes its own. The API server, etcd, the OVN daemons, the manager and the bench share the two cores.',
    '',
    markdownTable(['what', 'result'], rows),
    '',
    `- **Re-bind → first packet**: one EIP of an EIPPool whose provider bridge (br-ex, mapped by \`ovn-bridge-mappings\`) holds an “internet” network namespace with the pool’s gateway address; two guests (network namespaces on br-int, plugged in as NetworkInterfaces of one Subnet, a SecurityGroup letting TCP ${String(8080)} in) each answer a TCP connection with their name. While a re-bind is measured, a client in the internet namespace starts a connection to the EIP every ${String(probe.everyMs)} ms (each with an ${String(probe.timeoutMs)} ms deadline). A re-bind starts once the current guest answers; it is timed from the write to the earliest answer by the other guest among the attempts started after the write. kcloud’s write is a merge patch of the EIP’s \`spec.binding\`; the baseline’s \`lr-nat-del\` then \`lr-nat-add\`, two \`ovn-nbctl\` runs writing the same row the operator writes (address, logical IP and port, external MAC); two runs, because in one ovn-nbctl run lr-nat-add still finds the address on the row lr-nat-del removed earlier in the same transaction, and refuses it. The writers take turns in blocks of ${String(rebind.block)} re-binds (kcloud first); between blocks the EIP is unbound (or the hand-written row deleted) and the other writer’s row is put in place. A second EIP, bound to a third NetworkInterface, keeps the VPC router’s gateway port while the measured one is unbound. An attempt with no answer is one that met the address with no path to either guest: for the baseline, mostly between its two runs, when the address has no NAT row. Percentiles are nearest-rank.`,
    '',
    `- **LoadBalancers**: ${formatCount(lbs.count)} LoadBalancers, each one TCP listener on a VIP given in its spec and a pool of ${String(lbs.members)} members by address (no health checks), created with ${String(run.creates)} requests in flight without waiting for any to be Ready. The slb operator holds each VIP in a NetworkInterface (which the vpc operator allocates) and writes one Load_Balancer row per listener, attached to the VPC’s router and the switches of its ${String(lbs.switches)} Subnets. “Every row in NB” is the bench’s replica of NB holding a row for every LoadBalancer with exactly its ${String(lbs.members)} backends, on the router and every switch. The baseline writes the same rows (VIP, backends, protocol) with \`lb-add\`, \`lr-lb-add\` and \`ls-lb-add\`: all of them in one ovn-nbctl run (one transaction), and again with one run per LoadBalancer, one after another, as a script would.`,
    '',
    `- **NAT rows**: ${formatCount(nats.count)} NetworkInterfaces (Ready before the clock starts), then ${formatCount(nats.count)} EIPs, each naming its address and bound to one of them, created with ${String(run.creates)} requests in flight. The eip operator gives the VPC router a gateway port on the pool’s network with its first EIP and writes one distributed dnat_and_snat row per EIP. The baseline writes the same rows (address, logical IP, logical port, an external MAC) with \`lr-nat-add\`: all in one run, and one run per row.`,
    '',
    '- **Reconciles** come from the manager’s /metrics (`controller_runtime_reconcile_total`, `controller_runtime_reconcile_time_seconds_sum`), read before the first create and once every object was Ready and every row in NB; the mean time of a reconcile includes its writes (the VIP’s NetworkInterface, the OVSDB transaction, the status).',
  ].join('\n');
}
