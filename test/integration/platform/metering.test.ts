// Metering against the real API server, with the metering operator as a real kcloud-manager
// process and 3-second periods: Instances, Volumes and EIPs created and deleted across several
// periods, the manager killed mid-period (one deletion asked for and one object created while
// it is down) and started again. The CDR files must then hold exactly each object's lifetime
// from its creation to its deletion timestamp, every record once, every period closed; the CLI
// sums them per tenant (a sub-tenant rolled up into its parent) and the metrics carry them.
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
  type KubeObject,
  type ResourceRef,
} from '../../../controllers/kube/index.ts';
import { Tenant, tenantLabel } from '../../../operators/platform/api/index.ts';
import {
  meteredKinds,
  meteringFinalizer,
  periodAt,
  readRecords,
  type UsageRecord,
} from '../../../operators/platform/metering/index.ts';
import { Flavor } from '../../../operators/ecs/api/index.ts';
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
/** The test's namespace, kept for afterAll (which may run after the namespace's own). */
let ns = '';
const meteringDir = () => path.join(work.dir, 'cdr');
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
const lives = new Map<string, { kind: string; name: string; start: number; end?: number }>();

async function start(identity: string): Promise<ManagerProcess> {
  const p = spawnManager(
    [
      `--kubeconfig=${cluster.kubeconfigPath}`,
      '--operators=metering',
      `--namespace=${cluster.namespace}`,
      '--leader-elect=false',
      `--metering-dir=${meteringDir()}`,
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

async function create(kind: string, name: string, spec: object): Promise<void> {
  const obj = await client(kind).create({
    apiVersion: `${kindRef(kind).group}/${kindRef(kind).version}`,
    kind,
    metadata: { name, namespace: cluster.namespace },
    spec,
  } as KubeObject);
  const uid = obj.metadata.uid ?? '';
  lives.set(uid, { kind, name, start: parseTime(obj.metadata.creationTimestamp) ?? 0 });
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
async function remove(kind: string, name: string): Promise<void> {
  const obj = (await client(kind).delete(cluster.namespace, name)) as KubeObject;
  const end = parseTime(obj.metadata.deletionTimestamp);
  if (end === undefined)
    throw new Error(`${kind} ${name} was deleted without waiting for metering`);
  const life = lives.get(obj.metadata.uid ?? '');
  if (!life) throw new Error(`${kind} ${name} was not created here`);
  life.end = end;
}

async function gone(kind: string, name: string): Promise<void> {
  await waitFor(
    async () => {
      try {
        await client(kind).get(cluster.namespace, name);
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

async function closedPeriods(): Promise<{ start: number; end: number }[]> {
  const dir = meteringDir();
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
  const namespaces = new ObjectClient<KubeObject>(api, {
    group: '',
    version: 'v1',
    plural: 'namespaces',
    kind: 'Namespace',
    namespaced: false,
  });
  await namespaces.patch(undefined, cluster.namespace, 'merge', {
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
  // Whatever a failure left behind must not hold the namespace's deletion.
  for (const kind of meteredKinds) {
    const c = new ObjectClient<KubeObject>(api, kind.resource);
    for (const obj of (await c.list({ namespace: ns })).items) {
      await c.patch(ns, obj.metadata.name ?? '', 'merge', {
        metadata: {
          finalizers: (obj.metadata.finalizers ?? []).filter((f) => f !== meteringFinalizer),
        },
      });
    }
  }
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
});
