// Metering against the real API server, with the metering operator as a real kcloud-manager
// process and 3-second periods: Instances, Volumes and EIPs created and deleted across several
// periods, the manager killed mid-period (one deletion asked for and one object created while
// it is down) and started again. The CDR files must then hold exactly each object's lifetime
// from its creation to its deletion timestamp, every record once, every period closed; the CLI
// sums them per tenant (a sub-tenant rolled up into its parent) and the metrics carry them.
// Then, with the finalizer's admission policy installed and no manager running, objects created
// and deleted at once stay until metering runs again, and are metered for exactly their life.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, repoRoot } from '../../../hack/cluster/index.ts';
import {
  ApiClient,
  loadKubeConfig,
  ObjectClient,
  parseTime,
  resourcePath,
  type KubeObject,
  type ResourceRef,
} from '../../../controllers/kube/index.ts';
import { Tenant, tenantLabel } from '../../../operators/platform/api/index.ts';
import {
  meteredKinds,
  meteringFinalizer,
  meteringCreateFinalizer,
  periodAt,
  readRecords,
  type UsageRecord,
} from '../../../operators/platform/metering/index.ts';
import { Flavor } from '../../../operators/ecs/api/index.ts';
import {
  applyFinalizerPolicy,
  removeFinalizerPolicy,
} from '../../../hack/demo/finalizer-policies.ts';
import {
  readyz,
  spawnManager,
  stopIfRunning,
  tempDir,
  useTestCluster,
  waitFor,
  type ManagerProcess,
} from '../../harness/index.ts';

const run = promisify(execFile);
const cluster = useTestCluster('metering');
const periodMs = 3000;
let work: { dir: string; cleanup: () => Promise<void> };
let api: ApiClient;
let manager: ManagerProcess | undefined;
/** The metering of the namespace that is no project (a manager meters one namespace). */
let plainManager: ManagerProcess | undefined;
/** The test's namespace, kept for afterAll (which may run after the namespace's own). */
let ns = '';
const meteringDir = () => path.join(work.dir, 'cdr');
/** A namespace that is no project (no tenant label), and the admission policy's name. */
const plainNs = () => `${ns}-plain`;
const policyName = () => `${ns}-metering`;
const userFinalizer = 'example.com/keep';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kindRef = (kind: string): ResourceRef => {
  const k = meteredKinds.find((m) => m.resource.kind === kind);
  if (!k) throw new Error(`no metered kind ${kind}`);
  return k.resource;
};
const client = (kind: string) => new ObjectClient<KubeObject>(api, kindRef(kind));
const names = () => {
  return { flavor: `${ns}-small`, org: `${ns}-org`, team: `${ns}-team` };
};

/** What each object lived: from its creation to its deletion timestamp, as the server says. */
const namespaces = () =>
  new ObjectClient<KubeObject>(api, {
    group: '',
    version: 'v1',
    plural: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
  });

const lives = new Map<string, { kind: string; name: string; start: number; end?: number }>();

async function start(
  identity: string,
  namespace = cluster.namespace,
  dir = meteringDir(),
): Promise<ManagerProcess> {
  const p = spawnManager(
    [
      `--kubeconfig=${cluster.kubeconfigPath}`,
      '--operators=metering',
      `--namespace=${namespace}`,
      '--leader-elect=false',
      `--metering-dir=${dir}`,
      `--metering-period=${String(periodMs)}ms`,
      '--log-level=debug',
    ],
    identity,
    await freePort(),
    work.dir,
  );
  await waitFor(() => readyz(p.healthAddr), { timeoutMs: 60_000, what: `${identity} ready` });
  return p;
}

async function create(
  kind: string,
  name: string,
  spec: object,
  namespace = cluster.namespace,
  finalizers?: string[],
): Promise<KubeObject> {
  const obj = await client(kind).create({
    apiVersion: `${kindRef(kind).group}/${kindRef(kind).version}`,
    kind,
    metadata: { name, namespace, ...(finalizers ? { finalizers } : {}) },
    spec,
  } as KubeObject);
  const uid = obj.metadata.uid ?? '';
  lives.set(uid, { kind, name, start: parseTime(obj.metadata.creationTimestamp) ?? 0 });
  return obj;
}

async function hasFinalizer(kind: string, name: string): Promise<void> {
  await waitFor(
    async () =>
      (await client(kind).get(cluster.namespace, name)).metadata.finalizers?.includes(
        meteringFinalizer,
      ),
    { timeoutMs: 30_000, what: `the metering finalizer on ${kind} ${name}` },
  );
}

/** Asks for the deletion; the server answers with the object and its deletion timestamp. */
async function remove(kind: string, name: string, namespace = cluster.namespace): Promise<void> {
  const obj = (await client(kind).delete(namespace, name)) as KubeObject;
  const end = parseTime(obj.metadata.deletionTimestamp);
  if (end === undefined)
    throw new Error(`${kind} ${name} was deleted without waiting for metering`);
  const life = lives.get(obj.metadata.uid ?? '');
  if (!life) throw new Error(`${kind} ${name} was not created here`);
  life.end = end;
}

async function gone(kind: string, name: string, namespace = cluster.namespace): Promise<void> {
  await waitFor(
    async () => {
      try {
        await client(kind).get(namespace, name);
        return false;
      } catch {
        return true;
      }
    },
    { timeoutMs: 30_000, what: `${kind} ${name} gone` },
  );
}

/** Sleeps until `at` ms into a period (so that a step happens mid-period). */
async function intoPeriod(at: number): Promise<void> {
  const now = Date.now();
  const target = periodAt(now, periodMs).start + at;
  await sleep(target > now ? target - now : target + periodMs - now);
}

async function closedPeriods(dir = meteringDir()): Promise<{ start: number; end: number }[]> {
  const done = (await readdir(dir)).filter((n) => n.endsWith('.done')).sort();
  return Promise.all(
    done.map(async (n) => {
      const body = JSON.parse(await readFile(path.join(dir, n), 'utf8')) as {
        start: string;
        end: string;
      };
      return { start: Date.parse(body.start), end: Date.parse(body.end) };
    }),
  );
}

beforeAll(async () => {
  ns = cluster.namespace;
  work = await tempDir('metering');
  api = new ApiClient(loadKubeConfig(cluster.kubeconfigPath));
  const { flavor, org, team } = names();
  await namespaces().create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: plainNs(), labels: { 'kcloud.io/test': 'true' } },
  });
  await namespaces().patch(undefined, cluster.namespace, 'merge', {
    metadata: { labels: { [tenantLabel]: team } },
  });
  const tenants = new ObjectClient<KubeObject>(api, Tenant.resource);
  await tenants.create({
    apiVersion: 'platform.kcloud.io/v1alpha1',
    kind: 'Tenant',
    metadata: { name: org },
    spec: {},
  } as KubeObject);
  await tenants.create({
    apiVersion: 'platform.kcloud.io/v1alpha1',
    kind: 'Tenant',
    metadata: { name: team },
    spec: { parentRef: { name: org } },
  } as KubeObject);
  await new ObjectClient<KubeObject>(api, Flavor.resource).create({
    apiVersion: 'ecs.kcloud.io/v1alpha1',
    kind: 'Flavor',
    metadata: { name: flavor },
    spec: { vcpu: 2, memory: '4Gi' },
  } as KubeObject);
});

afterAll(async () => {
  await stopIfRunning(manager);
  await stopIfRunning(plainManager);
  await removeFinalizerPolicy(cluster.kubeconfigPath, policyName());
  // Whatever a failure left behind must not hold the namespaces' deletion.
  for (const namespace of [ns, plainNs()]) {
    for (const kind of meteredKinds) {
      const c = new ObjectClient<KubeObject>(api, kind.resource);
      for (const obj of (await c.list({ namespace })).items) {
        await c.patch(namespace, obj.metadata.name ?? '', 'merge', {
          metadata: {
            finalizers: (obj.metadata.finalizers ?? []).filter(
              (f) => f !== meteringFinalizer && f !== userFinalizer,
            ),
          },
        });
      }
    }
  }
  await namespaces().delete(undefined, plainNs());
  const { flavor, org, team } = names();
  await new ObjectClient<KubeObject>(api, Flavor.resource).delete(undefined, flavor);
  const tenants = new ObjectClient<KubeObject>(api, Tenant.resource);
  await tenants.delete(undefined, team);
  await tenants.delete(undefined, org);
  await api.close();
  await work.cleanup();
});

describe('metering', () => {
  it('writes exactly every lifetime across periods and a kill of the manager mid-period', async () => {
    const { flavor, org, team } = names();
    const image = { imageRef: { name: 'any' } };
    manager = await start('metering-1');
    await create('Instance', 'vm-a', { ...image, flavorRef: { name: flavor } });
    await create('Volume', 'disk-b', { size: '10Gi', volumeTypeRef: { name: 'ssd' } });
    await create('EIP', 'eip-c', { poolRef: { name: 'public' } });
    for (const [k, n] of [
      ['Instance', 'vm-a'],
      ['Volume', 'disk-b'],
      ['EIP', 'eip-c'],
    ] as const) {
      await hasFinalizer(k, n);
    }
    await intoPeriod(1000);
    await create('Instance', 'vm-d', { ...image, resources: { vcpu: 1, memory: '512Mi' } });
    await hasFinalizer('Instance', 'vm-d');
    await remove('Instance', 'vm-a');
    await gone('Instance', 'vm-a');

    // Killed mid-period; while it is down a deletion is asked for and an EIP is created.
    await intoPeriod(1500);
    await stopIfRunning(manager, 'SIGKILL');
    await remove('Volume', 'disk-b');
    await create('EIP', 'eip-e', { poolRef: { name: 'public' } });
    await sleep(periodMs + 500);
    expect((await client('Volume').get(cluster.namespace, 'disk-b')).metadata.finalizers).toContain(
      meteringFinalizer,
    );

    manager = await start('metering-2');
    await gone('Volume', 'disk-b');
    await hasFinalizer('EIP', 'eip-e');
    await intoPeriod(2000);
    for (const [k, n] of [
      ['EIP', 'eip-c'],
      ['Instance', 'vm-d'],
      ['EIP', 'eip-e'],
    ] as const) {
      await remove(k, n);
      await gone(k, n);
    }
    const lastEnd = Math.max(...[...lives.values()].map((l) => l.end ?? 0));
    await waitFor(
      async () => ((await closedPeriods()).some((p) => p.end > lastEnd) ? true : undefined),
      { timeoutMs: 30_000, what: 'the period of the last deletion closed' },
    );
    const metrics = await (await fetch(`http://${manager.healthAddr}/metrics`)).text();
    await stopIfRunning(manager, 'SIGTERM');

    // Every period from the first to the last closed, each once, without a gap.
    const closed = await closedPeriods();
    const firstStart = Math.min(...[...lives.values()].map((l) => l.start));
    expect(closed[0]?.start).toBeLessThanOrEqual(firstStart);
    for (let i = 1; i < closed.length; i++) expect(closed[i]?.start).toBe(closed[i - 1]?.end);

    // Each file holds every record once, the CSV the same ids as the JSON Lines.
    const dir = meteringDir();
    const files = await readdir(dir);
    const ids: string[] = [];
    for (const f of files.filter((n) => n.endsWith('.jsonl'))) {
      const lines = (await readFile(path.join(dir, f), 'utf8')).split('\n').filter(Boolean);
      const jsonIds = lines.map((l) => (JSON.parse(l) as UsageRecord).id);
      const csv = (await readFile(path.join(dir, f.replace(/\.jsonl$/, '.csv')), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .slice(1)
        .map((l) => l.split(',')[0]);
      expect([...csv].sort()).toEqual([...jsonIds].sort());
      expect(files).toContain(f.replace(/\.jsonl$/, '.done'));
      ids.push(...jsonIds);
    }
    expect(new Set(ids).size).toBe(ids.length);

    // The records sum to exactly each lifetime, in every dimension of the object.
    const records = await readRecords(dir);
    expect(records).toHaveLength(ids.length);
    const expected: Record<string, number> = {};
    const amounts: Record<string, number> = {};
    for (const [uid, life] of lives) {
      const ms = (life.end ?? 0) - life.start;
      const dims =
        life.kind === 'EIP'
          ? { 'eip-hours': 1 }
          : life.kind === 'Volume'
            ? { 'storage-gib-hours:ssd': 10 }
            : life.name === 'vm-a'
              ? { [`instance-hours:${flavor}`]: 1, 'vcpu-hours': 2, 'memory-gib-hours': 4 }
              : { 'instance-hours:custom': 1, 'vcpu-hours': 1, 'memory-gib-hours': 0.5 };
      for (const [dim, quantity] of Object.entries(dims)) {
        expected[`${life.name} ${dim}`] = ms;
        amounts[`${life.name} ${dim}`] = (quantity * ms) / 3_600_000;
      }
      expect(records.filter((r) => r.uid === uid).every((r) => r.name === life.name)).toBe(true);
    }
    const writtenMs: Record<string, number> = {};
    const written: Record<string, number> = {};
    for (const r of records) {
      const key = `${r.name} ${r.dimension}`;
      writtenMs[key] = (writtenMs[key] ?? 0) + r.seconds * 1000;
      written[key] = (written[key] ?? 0) + r.amount;
      expect(r.tenant).toBe(team);
      expect(r.namespace).toBe(cluster.namespace);
    }
    expect(
      Object.fromEntries(Object.entries(writtenMs).map(([k, v]) => [k, Math.round(v)])),
    ).toEqual(expected);
    for (const [key, amount] of Object.entries(amounts))
      expect(written[key]).toBeCloseTo(amount, 7);

    // The CLI: the team's records under its parent tenant, per day.
    const { stdout } = await run(process.execPath, [
      path.join(repoRoot, 'operators/platform/metering/cli.ts'),
      `--dir=${dir}`,
      '--by=day',
      `--tenant=${org}`,
      `--kubeconfig=${cluster.kubeconfigPath}`,
      '-o',
      'json',
    ]);
    const rows = stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { tenant: string; dimension: string; amount: number });
    expect(rows.every((r) => r.tenant === org)).toBe(true);
    const byDimension = (dim: string) =>
      Object.entries(amounts)
        .filter(([k]) => k.endsWith(` ${dim}`))
        .reduce((s, [, v]) => s + v, 0);
    for (const dim of ['eip-hours', 'vcpu-hours', 'memory-gib-hours', 'storage-gib-hours:ssd']) {
      const sum = rows.filter((r) => r.dimension === dim).reduce((s, r) => s + r.amount, 0);
      expect(sum).toBeCloseTo(byDimension(dim), 5);
    }

    // The second process's metrics carry what it wrote, per tenant and dimension.
    const eipHours = new RegExp(
      `^kcloud_metering_usage_total\\{tenant="${team}",dimension="eip-hours"\\} ([0-9.e-]+)$`,
      'm',
    ).exec(metrics);
    expect(Number(eipHours?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/^kcloud_metering_closed_until_seconds \d+/m);
  });

  it('meters what was created and deleted while no metering ran: the API server put the finalizer on at create', async () => {
    const { flavor, team } = names();
    const plain = plainNs();
    await stopIfRunning(manager);
    await applyFinalizerPolicy(cluster.kubeconfigPath, meteringCreateFinalizer, {
      name: policyName(),
      namespaces: [ns, plain],
    });
    // The API server takes a new policy in within seconds: until then creates go unpatched.
    for (const namespace of [ns, plain]) {
      await waitFor(
        async () => {
          const probe = await api.request<KubeObject>({
            method: 'POST',
            path: resourcePath(kindRef('EIP'), namespace),
            query: { dryRun: 'All' },
            body: {
              apiVersion: 'eip.kcloud.io/v1alpha1',
              kind: 'EIP',
              metadata: { name: 'probe', namespace },
              spec: { poolRef: { name: 'public' } },
            },
          });
          return probe.metadata.finalizers?.includes(meteringFinalizer);
        },
        { timeoutMs: 30_000, what: `the metering policy in force in ${namespace}` },
      );
    }

    // No metering operator runs. Created late in a period, deleted early in the next (the
    // timestamps are in seconds: a life of at least one of them).
    await intoPeriod(1500);
    const made = [
      await create(
        'Instance',
        'vm-f',
        { imageRef: { name: 'any' }, flavorRef: { name: flavor } },
        ns,
        [userFinalizer],
      ),
      await create('Volume', 'disk-g', { size: '2Gi', volumeTypeRef: { name: 'ssd' } }, plain),
      await create('EIP', 'eip-h', { poolRef: { name: 'public' } }, plain),
    ];
    expect(made.map((o) => o.metadata.finalizers)).toEqual([
      [userFinalizer, meteringFinalizer],
      [meteringFinalizer],
      [meteringFinalizer],
    ]);
    await intoPeriod(1000);
    await remove('Instance', 'vm-f', ns);
    await remove('Volume', 'disk-g', plain);
    await remove('EIP', 'eip-h', plain);
    await sleep(1000);
    for (const o of made) {
      const now = await client(o.kind ?? '').get(o.metadata.namespace, o.metadata.name ?? '');
      expect(now.metadata.deletionTimestamp).toBeDefined();
      expect(now.metadata.finalizers).toContain(meteringFinalizer);
    }

    // Metering runs again: it writes their records, takes its finalizer off and leaves the
    // user's.
    const dirs = {
      [ns]: path.join(work.dir, 'cdr-project'),
      [plain]: path.join(work.dir, 'cdr-plain'),
    };
    manager = await start('metering-3', ns, dirs[ns]);
    plainManager = await start('metering-4', plain, dirs[plain]);
    await gone('Volume', 'disk-g', plain);
    await gone('EIP', 'eip-h', plain);
    await waitFor(
      async () => {
        const vm = await client('Instance').get(ns, 'vm-f');
        return JSON.stringify(vm.metadata.finalizers) === JSON.stringify([userFinalizer]);
      },
      { timeoutMs: 30_000, what: 'the metering finalizer off vm-f, the user’s kept' },
    );
    await client('Instance').patch(ns, 'vm-f', 'merge', { metadata: { finalizers: null } });
    await gone('Instance', 'vm-f', ns);

    const uids = made.map((o) => o.metadata.uid ?? '');
    const lastEnd = Math.max(...uids.map((u) => lives.get(u)?.end ?? 0));
    for (const dir of Object.values(dirs)) {
      await waitFor(
        async () => ((await closedPeriods(dir)).some((p) => p.end > lastEnd) ? true : undefined),
        { timeoutMs: 30_000, what: `the period of the last deletion closed in ${dir}` },
      );
    }
    await stopIfRunning(manager, 'SIGTERM');
    await stopIfRunning(plainManager, 'SIGTERM');

    // Exactly each life, in every dimension, in each period it spans (two, unless the creates
    // were slow enough to reach the next one); the plain namespace of no tenant.
    const records = [
      ...(await readRecords(dirs[ns] ?? '')),
      ...(await readRecords(dirs[plain] ?? '')),
    ];
    const writtenMs: Record<string, number> = {};
    const expected: Record<string, number> = {};
    for (const [i, o] of made.entries()) {
      const life = lives.get(uids[i] ?? '');
      const ms = (life?.end ?? 0) - (life?.start ?? 0);
      expect(ms).toBeGreaterThanOrEqual(1000);
      const dims =
        o.kind === 'Instance'
          ? [`instance-hours:${flavor}`, 'vcpu-hours', 'memory-gib-hours']
          : o.kind === 'Volume'
            ? ['storage-gib-hours:ssd']
            : ['eip-hours'];
      for (const dim of dims) expected[`${o.metadata.name ?? ''} ${dim}`] = ms;
      const own = records.filter((r) => r.uid === uids[i]);
      const spanned = new Set<number>();
      for (let t = periodAt(life?.start ?? 0, periodMs).start; t < (life?.end ?? 0); t += periodMs)
        spanned.add(t);
      expect(new Set(own.map((r) => Date.parse(r.periodStart)))).toEqual(spanned);
      for (const r of own) {
        expect(r.namespace).toBe(o.metadata.namespace);
        expect(r.tenant).toBe(o.metadata.namespace === ns ? team : '');
      }
    }
    for (const r of records) {
      const key = `${r.name} ${r.dimension}`;
      writtenMs[key] = (writtenMs[key] ?? 0) + r.seconds * 1000;
    }
    expect(
      Object.fromEntries(Object.entries(writtenMs).map(([k, v]) => [k, Math.round(v)])),
    ).toEqual(expected);
  });
});
