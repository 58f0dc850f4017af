// The quota webhook benchmark's section of docs/benchmarks.md.
import { markdownTable } from '../lib/markdown.ts';
import { summarize } from '../lib/stats.ts';
import type { Side } from './load.ts';

export const sectionHeading = 'Quota webhook admission';

export interface WebhookResult {
  machine: string;
  kubernetes: string;
  rate: number;
  latencies: Record<Side, number[]>;
  throughput: Record<Side, { creates: number; ms: number }>;
  concurrency: number;
  /** The API server's own account of its webhook calls (sum / count of its histogram). */
  webhookCalls: number;
  webhookMeanMs: number;
  /** Creates the webhook refused during the run (none: the quota is far above the load). */
  refused: number;
  minutes: number;
}

const ms = (v: number) => v.toFixed(1);

export function renderSection(r: WebhookResult): string {
  const lat = { webhook: summarize(r.latencies.webhook), plain: summarize(r.latencies.plain) };
  const rate = (s: Side) => (r.throughput[s].creates * 1000) / r.throughput[s].ms;
  const row = (s: Side, label: string) => [
    label,
    String(lat[s].count),
    ms(lat[s].p50),
    ms(lat[s].p90),
    ms(lat[s].p99),
    ms(lat[s].max),
    rate(s).toFixed(0),
  ];
  return [
    `Measured on ${new Date().toISOString().slice(0, 10)}: ${r.machine}; Node ${process.version}; ${r.kubernetes}; etcd with fsync on. Run it with \`make bench\` (\`node bench/platform/main.ts\`; \`--per-side=300\` makes a quick run); this run took ${r.minutes.toFixed(1)} min.`,
    '',
    `How: a control plane of its own and \`kcloud-manager --operators=platform\` as its own process serving the quota webhook over TLS on loopback. VPCs are created in a project of a tenant with a Quota (vpcs far above what the run creates, so every create is admitted and reserved) — the API server calls the webhook, which checks the quotas on the path to the root and reserves on the Quota's status — and, side by side, in a namespace that is no project, whose creates the webhook's namespace selector leaves out: the same API server and etcd without the webhook. Latency: an open loop at ${String(r.rate)} creates/s, each create timed from its scheduled start to the API server's answer, in blocks of 100 alternating between the sides. Rate: ${String(r.concurrency)} clients creating back to back, in blocks of a few seconds alternating between the sides. Percentiles are nearest-rank. The API server's own histogram of its webhook calls gives their mean duration.`,
    '',
    markdownTable(
      [
        'creates',
        'count',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        `creates/s (${String(r.concurrency)} clients)`,
      ],
      [row('webhook', 'through the quota webhook'), row('plain', 'no webhook (same run)')],
    ),
    '',
    `With the webhook the API server takes ${(rate('webhook') / rate('plain')).toFixed(2)}× the creates per second it takes without; its ${String(r.webhookCalls)} webhook calls took ${ms(r.webhookMeanMs)} ms each on average. The webhook refused ${String(r.refused)} creates. Each admitted create is a reservation in the status of every Quota on its path to the root, written with the resourceVersion read; the requests that arrive while a Quota's record is being written are decided together and written in one update, as Kubernetes' ResourceQuota admission batches them. What is left is the webhook round trip and that record's write, which carries every reservation until the controller sees its object stored.`,
  ].join('\n');
}
