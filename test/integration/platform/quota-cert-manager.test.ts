// The quota webhook with a certificate cert-manager issues, as the chart runs it where
// cert-manager is installed: the Secret written as cert-manager writes it (tls.crt, tls.key,
// ca.crt), the CA bundle in the configuration written as its CA injector does, kcloud reading
// the certificate and writing nothing. The real API server calls the webhook over TLS; a
// certificate cert-manager renews in the Secret is served without a restart.
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { addPlatformOperator, makeCa, makeServingCert } from '../../../operators/platform/index.ts';
import { webhookConfiguration } from '../../../operators/platform/webhook/webhook-configuration.ts';
import {
  rejection,
  startManager,
  statusMessage,
  useTestCluster,
  waitFor,
  type RunningManager,
} from '../../harness/index.ts';

const cluster = useTestCluster('quota-cert-manager');
const platform = 'platform.kcloud.io/v1alpha1';
const secretName = 'webhook-issued';

let n: (name: string) => string;
let running: RunningManager | undefined;
let port = 0;
const cleanup: KubernetesObject[] = [];
const ca = makeCa('issuer', new Date(), 30);

const obj = (apiVersion: string, kind: string, name: string, spec: object, namespace?: string) => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  spec,
});
const vpc = (name: string) =>
  obj('vpc.kcloud.io/v1alpha1', 'VPC', name, { cidrBlocks: ['10.0.0.0/16'] }, n('p'));
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** What cert-manager writes into a Certificate's Secret. */
function issuedSecret(): KubernetesObject & { type: string; data: Record<string, string> } {
  const serving = makeServingCert(ca, ['127.0.0.1'], new Date(), 30);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretName, namespace: cluster.namespace },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(serving.cert), 'tls.key': b64(serving.key), 'ca.crt': b64(ca.cert) },
  };
}

/** The fingerprint of the certificate the webhook presents. */
const presented = () =>
  new Promise<string>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
      socket.end();
    });
    socket.on('error', reject);
  });

beforeAll(async () => {
  const prefix = cluster.namespace;
  n = (name: string) => `${prefix}-${name}`;
  const create = async (o: KubernetesObject) => {
    await cluster.objects.create(o);
    cleanup.push(o);
  };
  await create(obj(platform, 'Tenant', n('t'), {}));
  await create(obj(platform, 'Project', n('p'), { tenantRef: { name: n('t') } }));
  await create(obj(platform, 'Quota', n('t'), { tenantRef: { name: n('t') }, hard: { vpcs: 0 } }));
  await cluster.core.createNamespacedSecret({
    namespace: cluster.namespace,
    body: issuedSecret(),
  });
  running = await startManager((mgr) => {
    addPlatformOperator(mgr, {
      webhook: {
        listen: { host: '127.0.0.1', port: 0 },
        clientConfig: (p) => ({ url: `https://127.0.0.1:${String(p)}` }),
        certificateNames: ['127.0.0.1'],
        secret: { namespace: cluster.namespace, name: secretName },
        configurationName: n('quota'),
        tenants: [n('t')],
        certificate: 'cert-manager',
        issuedRecheckMs: 1000,
        onListening: (p) => {
          port = p;
        },
      },
    });
  });
  // The configuration as the chart makes it, with the bundle cert-manager's CA injector writes.
  await create(
    webhookConfiguration(
      {
        name: n('quota'),
        clientConfig: { url: `https://127.0.0.1:${String(port)}` },
        tenants: [n('t')],
      },
      ca.cert,
    ) as KubernetesObject,
  );
  await waitFor(
    async () => {
      const probe = vpc(`probe-${String(Date.now())}`);
      try {
        await cluster.objects.create(probe);
        await cluster.objects.delete(probe);
        return false;
      } catch (err) {
        return statusMessage(err).includes(`exceeds the quota of tenant ${n('t')}`);
      }
    },
    { timeoutMs: 60_000, what: 'the API server to reach the webhook with the issued certificate' },
  );
}, 120_000);

afterAll(async () => {
  await running?.stop();
  for (const o of cleanup.reverse()) await cluster.objects.delete(o).catch(() => undefined);
});

describe('the quota webhook with a certificate cert-manager issues', () => {
  it('serves the issued certificate and leaves the configuration as the CA injector wrote it', async () => {
    const secret = issuedSecret();
    const live = await cluster.core.readNamespacedSecret({
      name: secretName,
      namespace: cluster.namespace,
    });
    // kcloud made nothing of its own in the Secret.
    expect(Object.keys(live.data ?? {}).sort()).toEqual(Object.keys(secret.data).sort());
    const configuration = await cluster.objects.read<
      KubernetesObject & { webhooks: { clientConfig: { caBundle?: string } }[] }
    >({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: n('quota') },
    });
    expect(configuration.metadata?.managedFields?.map((f) => f.manager)).not.toContain(
      'kcloud-quota-webhook',
    );
    for (const w of configuration.webhooks) expect(w.clientConfig.caBundle).toBe(b64(ca.cert));
  });

  it('serves a certificate cert-manager renews in the Secret, without a restart', async () => {
    const before = await presented();
    const renewed = issuedSecret();
    await cluster.core.replaceNamespacedSecret({
      name: secretName,
      namespace: cluster.namespace,
      body: renewed,
    });
    await waitFor(async () => (await presented()) !== before, {
      timeoutMs: 30_000,
      what: 'the webhook to present the renewed certificate',
    });
    // The API server still reaches it: the refusal is the webhook's own.
    expect((await rejection(cluster.objects.create(vpc('after-renewal')))).message).toContain(
      `exceeds the quota of tenant ${n('t')}: vpcs limit 0`,
    );
  });
});
