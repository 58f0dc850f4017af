// The quota webhook in two replicas of the manager, as the chart runs it: the configuration
// made beforehand (helm install) and only its CA bundle filled in; the leader and the standby
// both serve (the standby's /readyz waits for its webhook), the API server reaching
// them through one address on loopback that spreads connections as a Service does. Through
// the standby alone a burst of creates stops exactly at the limit; both replicas deciding at
// once, each with its own batches, never admit more than the limit between them.
import { randomUUID } from 'node:crypto';
import { request } from 'node:https';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { addPlatformOperator } from '../../../operators/platform/index.ts';
import { webhookConfiguration } from '../../../operators/platform/webhook/webhook-configuration.ts';
import {
  startManager,
  statusMessage,
  useTestCluster,
  waitFor,
  type RunningManager,
} from '../../harness/index.ts';

const cluster = useTestCluster('quota-replicas');
const platform = 'platform.kcloud.io/v1alpha1';
const limit = 5;

let n: (name: string) => string;
const replicas: { name: string; running: RunningManager; port: number }[] = [];
const cleanup: KubernetesObject[] = [];

/**
 * A TCP relay on loopback in front of the replicas, as a Service's virtual IP: each connection
 * goes to the next backend in turn, and to the one after when a backend refuses it.
 */
class Relay {
  private backends: number[] = [];
  readonly connections = new Map<number, number>();
  private readonly open = new Set<Socket>();
  private next = 0;
  private readonly server: Server;
  port = 0;

  constructor() {
    this.server = createServer((client) => {
      this.open.add(client);
      client.once('close', () => this.open.delete(client));
      this.forward(client, this.backends.length);
    });
  }

  /** Sends new connections to these backends; open ones are cut, so the client reconnects. */
  route(backends: number[]): void {
    this.backends = backends;
    for (const client of this.open) client.destroy();
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  private forward(client: Socket, triesLeft: number): void {
    if (triesLeft === 0 || this.backends.length === 0) {
      client.destroy();
      return;
    }
    const port = this.backends[this.next++ % this.backends.length] ?? 0;
    const upstream = connect(port, '127.0.0.1');
    upstream.once('connect', () => {
      this.connections.set(port, (this.connections.get(port) ?? 0) + 1);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    upstream.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') this.forward(client, triesLeft - 1);
      else client.destroy();
    });
  }

  async close(): Promise<void> {
    this.route([]);
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }
}

const relay = new Relay();

const obj = (apiVersion: string, kind: string, name: string, spec: object, namespace?: string) => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  spec,
});
const vpc = (ns: string, name: string) =>
  obj('vpc.kcloud.io/v1alpha1', 'VPC', name, { cidrBlocks: ['10.0.0.0/16'] }, ns);

async function startReplica(name: string): Promise<void> {
  let port = 0;
  const running = await startManager(
    (mgr) => {
      addPlatformOperator(mgr, {
        webhook: {
          listen: { host: '127.0.0.1', port: 0 },
          clientConfig: () => ({ url: `https://127.0.0.1:${String(relay.port)}` }),
          certificateNames: ['127.0.0.1'],
          secret: { namespace: cluster.namespace, name: 'quota-webhook-tls' },
          configurationName: n('quota'),
          tenants: [n('t')],
          // As the chart runs it: the configuration is the release's, kcloud fills in the CA.
          manageConfiguration: false,
          onListening: (p) => {
            port = p;
          },
        },
      });
    },
    {
      identity: name,
      leaderElection: {
        namespace: cluster.namespace,
        name: 'kcloud-manager',
        leaseDurationMs: 4_000,
        renewDeadlineMs: 3_000,
        retryPeriodMs: 500,
      },
    },
  );
  replicas.push({ name, running, port });
}

/** The AdmissionReview of a VPC create, posted to one replica as the API server would. */
function admitDirectly(port: number, name: string): Promise<boolean> {
  const review = {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group: 'vpc.kcloud.io', version: 'v1alpha1', kind: 'VPC' },
      operation: 'CREATE',
      namespace: n('p'),
      name,
      object: vpc(n('p'), name),
    },
  };
  const body = JSON.stringify(review);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/validate',
        method: 'POST',
        // The certificate is the one the API server checks; this test asks only for decisions.
        rejectUnauthorized: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(new Error(`webhook answered ${String(res.statusCode)}: ${text}`));
            return;
          }
          resolve((JSON.parse(text) as { response: { allowed: boolean } }).response.allowed);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function used(): Promise<number | undefined> {
  const q = await cluster.objects.read<
    KubernetesObject & { status?: { used?: { vpcs?: number } } }
  >({ apiVersion: platform, kind: 'Quota', metadata: { name: n('t') } });
  // A dimension with nothing in use is left out of a counted record.
  return q.status?.used ? (q.status.used.vpcs ?? 0) : undefined;
}

beforeAll(async () => {
  // Read now: the namespace is gone by the time afterAll names what to delete.
  const prefix = cluster.namespace;
  n = (name: string) => `${prefix}-${name}`;
  await relay.listen();
  const create = async (o: KubernetesObject) => {
    await cluster.objects.create(o);
    cleanup.push(o);
  };
  await create(obj(platform, 'Tenant', n('t'), {}));
  await create(obj(platform, 'Project', n('p'), { tenantRef: { name: n('t') } }));
  await create(
    obj(platform, 'Quota', n('t'), { tenantRef: { name: n('t') }, hard: { vpcs: limit } }),
  );
  // What helm install makes: the configuration in code, without a CA bundle, Helm's label.
  const made = webhookConfiguration({
    name: n('quota'),
    clientConfig: { url: `https://127.0.0.1:${String(relay.port)}` },
    tenants: [n('t')],
  });
  await cluster.objects.create({
    ...made,
    metadata: { ...made.metadata, labels: { 'app.kubernetes.io/managed-by': 'Helm' } },
  } as KubernetesObject);
  await startReplica('replica-a');
  await startReplica('replica-b');
  relay.route(replicas.map((r) => r.port));
  await waitFor(
    async () =>
      (await used()) === 0 &&
      (await cluster.core.readNamespace({ name: n('p') }).catch(() => undefined)) !== undefined,
    { what: 'the quota counted and the project made' },
  );
  // The API server takes the configuration up within a moment; until then creates pass.
  await waitFor(
    async () => {
      const probe = vpc(n('p'), `probe-${String(Date.now())}`);
      await cluster.objects.create(probe);
      await cluster.objects.delete(probe);
      const q = await cluster.objects.read<
        KubernetesObject & { status?: { reservations?: unknown[] } }
      >({ apiVersion: platform, kind: 'Quota', metadata: { name: n('t') } });
      return (q.status?.reservations?.length ?? 0) > 0;
    },
    { timeoutMs: 60_000, what: 'the API server to call the webhook (a reservation recorded)' },
  );
}, 180_000);

afterAll(async () => {
  for (const r of replicas) await r.running.stop();
  await relay.close();
  await cluster.objects
    .delete({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: n('quota') },
    })
    .catch(() => undefined);
  for (const o of cleanup.reverse()) await cluster.objects.delete(o).catch(() => undefined);
});

describe('the quota webhook in two replicas', () => {
  it('fills in the CA bundle of the configuration it was given, leaving the rest as it was made', async () => {
    const live = await cluster.objects.read<
      KubernetesObject & {
        webhooks: { name: string; clientConfig: { caBundle?: string; url?: string } }[];
      }
    >({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: n('quota') },
    });
    expect(live.metadata?.labels).toEqual({ 'app.kubernetes.io/managed-by': 'Helm' });
    for (const w of live.webhooks) {
      expect(w.clientConfig.url).toBe(`https://127.0.0.1:${String(relay.port)}/validate`);
      expect(Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString()).toContain(
        '-----BEGIN CERTIFICATE-----',
      );
    }
  });

  it('serves in the standby too, which alone stops a burst exactly at the limit', async () => {
    const leader = replicas.find((r) => r.running.mgr.isLeader());
    const standby = replicas.find((r) => !r.running.mgr.isLeader());
    if (!leader || !standby) throw new Error('expected one leader and one standby');
    relay.route([standby.port]);
    const before = relay.connections.get(standby.port) ?? 0;
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        cluster.objects.create(vpc(n('p'), `burst-${String(i)}`)),
      ),
    );
    const refusals = results.flatMap((r) =>
      r.status === 'rejected' ? [statusMessage(r.reason)] : [],
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(limit);
    expect(refusals).toHaveLength(8 - limit);
    for (const m of refusals) {
      expect(m).toContain(
        `exceeds the quota of tenant ${n('t')}: vpcs limit ${String(limit)}, in use ${String(limit)}`,
      );
    }
    // The API server reached the standby, which is still not leading.
    expect(relay.connections.get(standby.port) ?? 0).toBeGreaterThan(before);
    expect(standby.running.mgr.isLeader()).toBe(false);
    relay.route(replicas.map((r) => r.port));
  });

  it('never admits more than the limit between two replicas deciding at once', async () => {
    for (let i = 0; i < 8; i++)
      await cluster.objects.delete(vpc(n('p'), `burst-${String(i)}`)).catch(() => undefined);
    await waitFor(async () => (await used()) === 0, { what: 'the quota to count no VPC again' });
    const [a, b] = replicas;
    if (!a || !b) throw new Error('two replicas expected');
    // Four to each: neither can fill the limit of five alone, so both admit, each against
    // what the other reserved.
    const target = (i: number) => (i % 2 === 0 ? a : b);
    const decisions = await Promise.all(
      Array.from({ length: 8 }, (_, i) => admitDirectly(target(i).port, `direct-${String(i)}`)),
    );
    const allowedBy = (r: typeof a) => decisions.filter((d, i) => d && target(i) === r).length;
    expect(decisions.filter(Boolean)).toHaveLength(limit);
    expect(allowedBy(a)).toBeGreaterThan(0);
    expect(allowedBy(b)).toBeGreaterThan(0);
    console.log(
      `admitted by ${a.name}: ${String(allowedBy(a))}, by ${b.name}: ${String(allowedBy(b))}`,
    );
  });
});
