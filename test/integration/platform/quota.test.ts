// Hierarchical quotas against the real API server calling the real webhook over TLS on
// loopback: a three-level tenant tree with a quota at each level, parallel creates across
// projects that reach each limit exactly, a delete that frees quota at once, a resize refused
// naming its limit, the roll-up in the tenants' status, and, with the webhook stopped, quota'd
// creates failing closed while other kinds and non-resizing updates go on.
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubernetesObject } from '@kubernetes/client-node';
import { addPlatformOperator } from '../../../operators/platform/index.ts';
import {
  rejection,
  startManager,
  statusMessage,
  useTestCluster,
  waitFor,
  type RunningManager,
} from '../../harness/index.ts';

const cluster = useTestCluster('platform-quota');
const platform = 'platform.kcloud.io/v1alpha1';

// Cluster-scoped names are shared by every test file: prefixed with this file's namespace.
let n: (name: string) => string;
let running: RunningManager | undefined;
let webhookPort = 0;
const cleanup: KubernetesObject[] = [];

const obj = (apiVersion: string, kind: string, name: string, spec: object, namespace?: string) => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  spec,
});

async function create(o: KubernetesObject, keep = true): Promise<void> {
  await cluster.objects.create(o);
  if (keep) cleanup.push(o);
}

const vpc = (ns: string, name: string) =>
  obj('vpc.kcloud.io/v1alpha1', 'VPC', name, { cidrBlocks: ['10.0.0.0/16'] }, ns);

/** Creates `count` VPCs at once; the messages of the refused ones. */
async function burst(
  ns: string,
  prefix: string,
  count: number,
): Promise<{ created: number; refusals: string[] }> {
  const results = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      cluster.objects.create(vpc(ns, `${prefix}-${String(i)}`)),
    ),
  );
  return {
    created: results.filter((r) => r.status === 'fulfilled').length,
    refusals: results.flatMap((r) => (r.status === 'rejected' ? [statusMessage(r.reason)] : [])),
  };
}

async function vpcsIn(ns: string): Promise<string[]> {
  const list = (await cluster.custom.listNamespacedCustomObject({
    group: 'vpc.kcloud.io',
    version: 'v1alpha1',
    namespace: ns,
    plural: 'vpcs',
  })) as { items: KubernetesObject[] };
  return list.items.map((v) => v.metadata?.name ?? '');
}

interface Status {
  status?: Record<string, unknown>;
}
const read = async (kind: string, name: string) =>
  await cluster.objects.read<KubernetesObject & Status>({
    apiVersion: platform,
    kind,
    metadata: { name },
  });

beforeAll(async () => {
  const prefix = cluster.namespace;
  n = (name: string) => `${prefix}-${name}`;
  const tenants = [n('corp'), n('fin'), n('pay'), n('gov')];
  await create(obj(platform, 'Tenant', n('corp'), {}));
  await create(obj(platform, 'Tenant', n('fin'), { parentRef: { name: n('corp') } }));
  await create(obj(platform, 'Tenant', n('pay'), { parentRef: { name: n('fin') } }));
  await create(obj(platform, 'Tenant', n('gov'), {}));
  for (const [project, tenant] of [
    ['corp-a', 'corp'],
    ['fin-a', 'fin'],
    ['pay-a', 'pay'],
    ['pay-b', 'pay'],
    ['probe', 'corp'],
    ['gov-a', 'gov'],
  ] as const) {
    await create(obj(platform, 'Project', n(project), { tenantRef: { name: n(tenant) } }));
  }
  await create(
    obj(platform, 'Quota', n('corp'), { tenantRef: { name: n('corp') }, hard: { vpcs: 6 } }),
  );
  await create(
    obj(platform, 'Quota', n('fin'), { tenantRef: { name: n('fin') }, hard: { vpcs: 4 } }),
  );
  await create(
    obj(platform, 'Quota', n('pay'), {
      tenantRef: { name: n('pay') },
      hard: { vpcs: 3, storage: { [n('gold')]: '30Gi' } },
    }),
  );
  await create(
    obj(platform, 'Quota', n('pay-a'), {
      projectRef: { name: n('pay-a') },
      hard: { vcpu: 6, memory: '8Gi' },
    }),
  );
  await create(
    obj(platform, 'Quota', n('probe'), { projectRef: { name: n('probe') }, hard: { vpcs: 0 } }),
  );
  await create(
    obj(platform, 'Quota', n('gov'), {
      tenantRef: { name: n('gov') },
      hard: { loadBalancers: 1 },
      storagePools: [n('pool-a')],
      hostGroups: [n('racks-1')],
    }),
  );
  // Before the manager starts, so its first list has them.
  for (const pool of ['pool-a', 'pool-b']) {
    await create(
      obj('evs.kcloud.io/v1alpha1', 'VolumeType', n(`on-${pool}`), {
        storagePoolRef: { name: n(pool) },
      }),
    );
  }
  await create(obj('ecs.kcloud.io/v1alpha1', 'Flavor', n('small'), { vcpu: 2, memory: '2Gi' }));
  await create(obj('ecs.kcloud.io/v1alpha1', 'Flavor', n('large'), { vcpu: 8, memory: '8Gi' }));

  running = await startManager((mgr) => {
    addPlatformOperator(mgr, {
      webhook: {
        listen: { host: '127.0.0.1', port: 0 },
        clientConfig: (port) => ({ url: `https://127.0.0.1:${String(port)}` }),
        certificateNames: ['127.0.0.1'],
        secret: { namespace: cluster.namespace, name: 'quota-webhook-tls' },
        configurationName: n('quota'),
        tenants,
        // A serving certificate of one day, renewed when 4 s of it have passed: the whole
        // suite runs across renewals, and one test waits for one.
        policy: {
          caDays: 3650,
          caRenewBeforeDays: 365,
          servingDays: 1,
          servingRenewBeforeDays: 1 - 4 / 86_400,
        },
        onListening: (port) => {
          webhookPort = port;
        },
      },
    });
  });
  // The API server picks the configuration up within a moment: until then the probe passes.
  await waitFor(
    async () => {
      const name = `probe-${String(Date.now())}`;
      try {
        await cluster.objects.create(vpc(n('probe'), name));
        await cluster.objects.delete(vpc(n('probe'), name));
        return false;
      } catch (err) {
        return statusMessage(err).includes(`the quota of project ${n('probe')}`);
      }
    },
    { timeoutMs: 60_000, what: 'the quota webhook to refuse a VPC in the probe project' },
  );
  await waitFor(
    async () => {
      for (const q of ['corp', 'fin', 'pay', 'pay-a', 'gov'])
        if (!(await read('Quota', n(q))).status?.used) return false;
      for (const p of ['corp-a', 'fin-a', 'pay-a', 'pay-b', 'gov-a'])
        if (!(await cluster.core.readNamespace({ name: n(p) }).catch(() => undefined)))
          return false;
      return true;
    },
    { what: 'every Quota counted and every project namespace made' },
  );
}, 120_000);

afterAll(async () => {
  await running?.stop();
  await cluster.objects
    .delete({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: n('quota') },
    })
    .catch(() => undefined);
  for (const o of cleanup.reverse()) await cluster.objects.delete(o).catch(() => undefined);
});

describe('hierarchical quotas', () => {
  it('makes each Project a namespace labelled with its tenant', async () => {
    const ns = await cluster.core.readNamespace({ name: n('pay-a') });
    expect(ns.metadata?.labels?.['platform.kcloud.io/tenant']).toBe(n('pay'));
    expect(ns.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Project', name: n('pay-a') });
  });

  it('lets parallel creates across projects reach each level’s limit exactly, naming the tenant in the refusals', async () => {
    // pay: 3 VPCs, across its two projects.
    const started = Date.now();
    const [a, b] = await Promise.all([
      burst(n('pay-a'), 'burst', 4),
      burst(n('pay-b'), 'burst', 4),
    ]);
    console.log(
      `8 parallel creates against a 3-level quota path: ${String(Date.now() - started)} ms`,
    );
    expect(a.created + b.created).toBe(3);
    const refusals = [...a.refusals, ...b.refusals];
    expect(refusals).toHaveLength(5);
    for (const m of refusals) {
      expect(m).toContain(`exceeds the quota of tenant ${n('pay')}: vpcs limit 3, in use 3`);
    }
    // fin: 4, of which pay uses 3.
    const fin = await burst(n('fin-a'), 'burst', 4);
    expect(fin.created).toBe(1);
    expect(fin.refusals[0]).toContain(
      `exceeds the quota of tenant ${n('fin')}: vpcs limit 4, in use 4`,
    );
    // corp: 6, of which fin uses 4.
    const corp = await burst(n('corp-a'), 'burst', 4);
    expect(corp.created).toBe(2);
    expect(corp.refusals[0]).toContain(
      `exceeds the quota of tenant ${n('corp')}: vpcs limit 6, in use 6`,
    );
  });

  it('rolls usage up the tenants and shows each one’s tightest limit', async () => {
    await waitFor(
      async () => {
        const [corp, fin, pay] = await Promise.all([
          read('Tenant', n('corp')),
          read('Tenant', n('fin')),
          read('Tenant', n('pay')),
        ]);
        const usage = (t: Status) => (t.status?.usage as { vpcs?: number } | undefined)?.vpcs;
        return usage(corp) === 6 && usage(fin) === 4 && usage(pay) === 3 ? pay : undefined;
      },
      { what: 'tenant usage 6 / 4 / 3 VPCs' },
    );
    const pay = await read('Tenant', n('pay'));
    expect(pay.status).toMatchObject({
      path: [n('corp'), n('fin'), n('pay')],
      projects: [n('pay-a'), n('pay-b')],
      limits: { vpcs: 3 },
    });
  });

  it('frees quota as soon as an object is deleted', async () => {
    const inB = await rejection(cluster.objects.create(vpc(n('pay-b'), 'after-delete')));
    expect(inB.message).toContain('vpcs limit 3');
    const [inA] = await vpcsIn(n('pay-a'));
    const [inPayB] = await vpcsIn(n('pay-b'));
    if (inA !== undefined) await cluster.objects.delete(vpc(n('pay-a'), inA));
    else await cluster.objects.delete(vpc(n('pay-b'), inPayB ?? ''));
    await cluster.objects.create(vpc(n('pay-b'), 'after-delete'));
    expect(await rejection(cluster.objects.create(vpc(n('pay-b'), 'one-more')))).toMatchObject({
      message: expect.stringContaining(`the quota of tenant ${n('pay')}: vpcs limit 3, in use 3`),
    });
  });

  it('refuses a resize that crosses a limit, naming the limit and the use', async () => {
    const instance = (flavor: string) =>
      obj(
        'ecs.kcloud.io/v1alpha1',
        'Instance',
        'vm',
        { flavorRef: { name: n(flavor) }, imageRef: { name: 'debian' } },
        n('pay-a'),
      );
    await create(instance('small'));
    const refused = await rejection(
      cluster.objects.patch(
        instance('large'),
        undefined,
        undefined,
        'test',
        true,
        'application/apply-patch+yaml',
      ),
    );
    expect(refused.message).toContain(
      `exceeds the quota of project ${n('pay-a')}: vcpu limit 6, in use 2, this request adds 6 (Quota ${n('pay-a')})`,
    );
    // Within the limit by the flavor's size: a resize to a flavor of 6 vCPUs, 6Gi passes.
    await create(obj('ecs.kcloud.io/v1alpha1', 'Flavor', n('medium'), { vcpu: 6, memory: '6Gi' }));
    await cluster.objects.patch(
      instance('medium'),
      undefined,
      undefined,
      'test',
      true,
      'application/apply-patch+yaml',
    );
    await waitFor(
      async () =>
        ((await read('Quota', n('pay-a'))).status?.used as { vcpu?: number } | undefined)?.vcpu ===
        6,
      { what: 'the project quota to count 6 vCPUs' },
    );
  });

  it('refuses a volume growing beyond the storage of its VolumeType', async () => {
    const volume = (size: string) =>
      obj(
        'evs.kcloud.io/v1alpha1',
        'Volume',
        'data',
        { size, volumeTypeRef: { name: n('gold') } },
        n('pay-b'),
      );
    await create(volume('20Gi'));
    const refused = await rejection(
      cluster.objects.patch(
        volume('40Gi'),
        undefined,
        undefined,
        'test',
        true,
        'application/apply-patch+yaml',
      ),
    );
    expect(refused.message).toContain(
      `exceeds the quota of tenant ${n('pay')}: storage of VolumeType ${n('gold')} limit 30Gi, in use 20Gi, this request adds 20Gi`,
    );
    await cluster.objects.patch(
      volume('30Gi'),
      undefined,
      undefined,
      'test',
      true,
      'application/apply-patch+yaml',
    );
  });

  it('holds volumes to the StoragePools and instances to the host groups a quota allows', async () => {
    const volume = (name: string, type: string) =>
      obj(
        'evs.kcloud.io/v1alpha1',
        'Volume',
        name,
        { size: '1Gi', volumeTypeRef: { name: type } },
        n('gov-a'),
      );
    const where = `tenant ${n('gov')} (Quota ${n('gov')})`;
    expect(
      (await rejection(cluster.objects.create(volume('in-b', n('on-pool-b'))))).message,
    ).toContain(
      `${where} allows volumes only in StoragePools ${n('pool-a')}, not in ${n('pool-b')}: choose a VolumeType of one of them`,
    );
    expect(
      (await rejection(cluster.objects.create(volume('unknown', n('nope'))))).message,
    ).toContain(
      `the volume's StoragePool cannot be told (VolumeType ${n('nope')} does not exist), and ${where} allows only StoragePools ${n('pool-a')}`,
    );
    await create(volume('in-a', n('on-pool-a')));

    const instance = (placement?: object, labels?: Record<string, string>) => ({
      ...obj(
        'ecs.kcloud.io/v1alpha1',
        'Instance',
        'placed',
        {
          flavorRef: { name: n('small') },
          imageRef: { name: 'debian' },
          ...(placement ? { placement } : {}),
        },
        n('gov-a'),
      ),
      ...(labels ? { metadata: { name: 'placed', namespace: n('gov-a'), labels } } : {}),
    });
    expect((await rejection(cluster.objects.create(instance()))).message).toContain(
      `${where} allows instances only in host groups ${n('racks-1')}: set spec.placement.hostGroup to one of them`,
    );
    expect(
      (
        await rejection(
          cluster.objects.create(
            instance({ hostSelector: { 'topology.kcloud.io/host-group': n('racks-2') } }),
          ),
        )
      ).message,
    ).toContain(`allows instances only in host groups ${n('racks-1')}, not in ${n('racks-2')}`);
    await create(instance({ hostGroup: n('racks-1') }));
    const apply = (o: KubernetesObject) =>
      cluster.objects.patch(o, undefined, undefined, 'test', true, 'application/apply-patch+yaml');
    // Moving it to another group is refused; an update that leaves it in place goes through.
    expect((await rejection(apply(instance({ hostGroup: n('racks-2') })))).message).toContain(
      `not in ${n('racks-2')}`,
    );
    await apply(instance({ hostGroup: n('racks-1') }, { tier: 'db' }));

    // A project's list reaching beyond its tenant's: a reason, as for a limit.
    await create(
      obj(platform, 'Quota', n('gov-a'), {
        projectRef: { name: n('gov-a') },
        hard: {},
        storagePools: [n('pool-a'), n('pool-b')],
      }),
    );
    const q = await cluster.waitForCondition(
      { apiVersion: platform, kind: 'Quota', name: n('gov-a'), namespace: '' },
      'Ready',
      'False',
      30_000,
      'PlacementOutsideParent',
    );
    expect(q.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain(
      `StoragePools ${n('pool-b')} are not allowed by ${where}, which allows ${n('pool-a')}`,
    );
  });

  it('counts LoadBalancers', async () => {
    const lb = (name: string) =>
      obj(
        'slb.kcloud.io/v1alpha1',
        'LoadBalancer',
        name,
        {
          subnetRef: { name: 'web' },
          listeners: [{ name: 'http', protocol: 'TCP', port: 80, backendPool: 'web' }],
          backendPools: [{ name: 'web', members: [{ ip: '10.0.1.7', port: 80 }] }],
        },
        n('gov-a'),
      );
    await create(lb('first'));
    expect((await rejection(cluster.objects.create(lb('second')))).message).toContain(
      `exceeds the quota of tenant ${n('gov')}: loadBalancers limit 1, in use 1, this request adds 1 (Quota ${n('gov')})`,
    );
  });

  it('renews its serving certificate before it expires, and the API server trusts the new one', async () => {
    const presented = () =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(
          { host: '127.0.0.1', port: webhookPort, rejectUnauthorized: false },
          () => {
            resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
            socket.end();
          },
        );
        socket.on('error', reject);
      });
    const before = await presented();
    await waitFor(async () => (await presented()) !== before, {
      timeoutMs: 30_000,
      what: 'the webhook to present a renewed certificate',
    });
    // The API server reaches the webhook through the new certificate: the refusal is its own.
    expect(
      (await rejection(cluster.objects.create(vpc(n('probe'), 'after-renewal')))).message,
    ).toContain(`exceeds the quota of project ${n('probe')}`);
  });

  it('refuses a child quota larger than what its parent has left, with a reason', async () => {
    await create(
      obj(platform, 'Quota', n('fin-big'), { tenantRef: { name: n('fin') }, hard: { vpcs: 10 } }),
    );
    const q = await cluster.waitForCondition(
      { apiVersion: platform, kind: 'Quota', name: n('fin-big'), namespace: '' },
      'Ready',
      'False',
      30_000,
      'ExceedsParent',
    );
    expect(q.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain(
      `vpcs limit 10 exceeds what tenant ${n('corp')} has left for it (4 of its 6)`,
    );
  });

  it('fails quota’d creates closed when the webhook is down, and lets other kinds and updates through', async () => {
    await running?.stop();
    running = undefined;
    const down = await rejection(
      cluster.objects.create(
        obj(
          'vpc.kcloud.io/v1alpha1',
          'SecurityGroup',
          'sg',
          { vpcRef: { name: 'x' } },
          n('corp-a'),
        ),
      ),
    );
    expect(down.message).toContain('failed calling webhook "quota.platform.kcloud.io"');
    await cluster.core.createNamespacedConfigMap({
      namespace: n('corp-a'),
      body: { metadata: { name: 'still-works' }, data: { a: 'b' } },
    });
    // An update that resizes nothing (a label, a finalizer) is not sent to the webhook.
    const [existing = ''] = await vpcsIn(n('corp-a'));
    await cluster.objects.patch(
      {
        ...vpc(n('corp-a'), existing),
        metadata: { name: existing, namespace: n('corp-a'), labels: { tier: 'web' } },
      },
      undefined,
      undefined,
      undefined,
      undefined,
      'application/merge-patch+json',
    );
  });
});
