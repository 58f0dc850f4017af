#!/usr/bin/env node
// The quota webhook benchmark (`make bench`): the latency of creates admitted through kcloud's
// quota webhook at a steady rate, and the create rate the API server sustains with the webhook
// against without it, side by side in one run on one control plane. Writes its section of
// docs/benchmarks.md.
//
// usage: node bench/platform/main.ts [--per-side=1000] [--rate=100] [--concurrency=8]
//          [--seconds=5] [--blocks=3] [--out=docs/benchmarks.md] [--keep]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { realClock } from '../../controllers/clock/index.ts';
import {
  ApiClient,
  errorMessage,
  loadKubeConfig,
  namespaceResource,
  ObjectClient,
  type KubeObject,
} from '../../controllers/kube/index.ts';
import { freePort, repoRoot, serverVersion } from '../../hack/cluster/index.ts';
import { productKinds } from '../../operators/kinds.ts';
import { tenantLabel } from '../../operators/platform/api/index.ts';
import { VPC } from '../../operators/vpc/api/index.ts';
import { createNamespace, installCrds } from '../lib/cluster-objects.ts';
import { withControlPlane } from '../lib/control-plane.ts';
import { DaemonProcess } from '../lib/daemon-process.ts';
import { machineLine } from '../lib/machine.ts';
import { publishSection, runBench } from '../lib/run.ts';
import { until } from '../lib/until.ts';
import { parseMetrics } from '../vpc/metrics.ts';
import { pacedLatencies, throughput, type Side } from './load.ts';
import { renderSection, sectionHeading } from './report.ts';

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

const platform = { group: 'platform.kcloud.io', version: 'v1alpha1', namespaced: false };

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'per-side': { type: 'string', default: '1000' },
      rate: { type: 'string', default: '100' },
      concurrency: { type: 'string', default: '8' },
      seconds: { type: 'string', default: '5' },
      blocks: { type: 'string', default: '3' },
      out: { type: 'string', default: path.join(repoRoot, 'docs', 'benchmarks.md') },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const perSide = positive('per-side', values['per-side']);
  const rate = positive('rate', values.rate);
  const concurrency = positive('concurrency', values.concurrency);
  const seconds = positive('seconds', values.seconds);
  const blocks = positive('blocks', values.blocks);
  const clock = realClock;
  const t0 = clock.now();
  const print = (line: string) => {
    console.log(`[${((clock.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  };
  const machine = machineLine();

  const result = await withControlPlane(
    { name: 'platform', keep: values.keep, log: print },
    async ({ layout, info }) => {
      const api = new ApiClient(loadKubeConfig(info.kubeconfig));
      await installCrds(api, clock, productKinds);
      const objects = (plural: string, kind: string, namespaced = false) =>
        new ObjectClient<KubeObject & { spec?: unknown }>(api, {
          ...(plural === 'vpcs' ? VPC.resource : platform),
          plural,
          kind,
          namespaced,
        });
      const namespaces = new ObjectClient<KubeObject>(api, namespaceResource);
      await createNamespace(api, 'kcloud-system');
      await createNamespace(api, 'bench-plain');
      // A project of a tenant whose Quota is far above the run, and a probe project whose
      // Quota is zero: its refusal says the webhook is serving.
      for (const [tenant, ns, vpcs] of [
        ['bench', 'bench-quota', 10_000_000],
        ['bench-probe', 'bench-probe', 0],
      ] as const) {
        await objects('tenants', 'Tenant').create({
          apiVersion: 'platform.kcloud.io/v1alpha1',
          kind: 'Tenant',
          metadata: { name: tenant },
          spec: {},
        });
        await namespaces.create({ metadata: { name: ns, labels: { [tenantLabel]: tenant } } });
        await objects('quotas', 'Quota').create({
          apiVersion: 'platform.kcloud.io/v1alpha1',
          kind: 'Quota',
          metadata: { name: tenant },
          spec: { tenantRef: { name: tenant }, hard: { vpcs } },
        });
      }
      const port = await freePort();
      const manager = await DaemonProcess.start({
        what: 'the manager',
        script: path.join(repoRoot, 'operators', 'manager', 'main.ts'),
        args: [
          `--kubeconfig=${info.kubeconfig}`,
          '--operators=platform',
          '--leader-elect=false',
          `--webhook-addr=127.0.0.1:${String(port)}`,
          `--webhook-url=https://127.0.0.1:${String(port)}`,
          '--webhook-secret=kcloud-system/kcloud-webhook-tls',
          '--log-level=warn',
        ],
        logFile: path.join(layout.logDir, 'kcloud-manager.log'),
        clock,
      });
      try {
        const vpcs = objects('vpcs', 'VPC', true);
        const vpc = (namespace: string, name: string) => ({
          apiVersion: 'vpc.kcloud.io/v1alpha1',
          kind: 'VPC',
          metadata: { name, namespace },
          spec: { cidrBlocks: ['10.0.0.0/16'] },
        });
        let probe = 0;
        await until(
          async () => {
            try {
              await vpcs.create(vpc('bench-probe', `probe-${String(probe++)}`));
              return false;
            } catch (err) {
              const message = errorMessage(err);
              if (/quota/i.test(message)) return true;
              throw err;
            }
          },
          {
            clock,
            timeoutMs: 120_000,
            what: 'the quota webhook to refuse a create beyond its quota',
          },
        );
        print('the quota webhook refuses a create beyond a quota: measuring');
        const namespaceOf: Record<Side, string> = { webhook: 'bench-quota', plain: 'bench-plain' };
        let refused = 0;
        const create = async (side: Side, index: number) => {
          try {
            await vpcs.create(vpc(namespaceOf[side], `${side}-${String(index)}`));
          } catch (err) {
            refused++;
            throw err;
          }
        };
        const before = await webhookHistogram(api);
        const latencies = await pacedLatencies(create, { rate, perSide, block: 100, clock });
        print(`latency: ${String(perSide)} creates per side at ${String(rate)}/s`);
        const rates = await throughput(create, {
          concurrency,
          seconds,
          blocks,
          clock,
          offset: perSide,
        });
        print('rate: done');
        const after = await webhookHistogram(api);
        const calls = after.count - before.count;
        return {
          machine,
          kubernetes: `kube-apiserver ${(await serverVersion(layout)).gitVersion}`,
          rate,
          latencies,
          throughput: rates,
          concurrency,
          webhookCalls: calls,
          webhookMeanMs: calls > 0 ? ((after.sum - before.sum) * 1000) / calls : NaN,
          refused,
          minutes: (clock.now() - t0) / 60_000,
        };
      } finally {
        await manager.stop();
      }
    },
  );
  await publishSection(values.out, sectionHeading, renderSection(result), print);
}

/** The API server's histogram of its validating webhook calls: total seconds and calls. */
async function webhookHistogram(api: ApiClient): Promise<{ sum: number; count: number }> {
  const lines: string[] = [];
  for await (const l of api.lines({ method: 'GET', path: '/metrics' })) lines.push(l);
  const samples = parseMetrics(lines).filter(
    (s) => s.labels.type === 'validating' && s.labels.operation === 'CREATE',
  );
  const total = (name: string) =>
    samples.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);
  return {
    sum: total('apiserver_admission_webhook_admission_duration_seconds_sum'),
    count: total('apiserver_admission_webhook_admission_duration_seconds_count'),
  };
}

runBench(main);
