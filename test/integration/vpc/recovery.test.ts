// The VPC operator recovers: OVN rows deleted by hand come back, rows whose owner is gone are
// removed, a killed northbound database and a killed manager are ridden out, and in every case
// the database ends with exactly one row per thing, none left over. The manager runs as its own
// process (kcloud-manager) with a 2 s resync, so it can be killed like a real one.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, kubectlOk, repoRoot } from '../../../hack/cluster/index.ts';
import {
  connection,
  down,
  nbctl,
  ovnLayout,
  readState,
  startComponent,
  up,
  type OvnLayout,
} from '../../../hack/ovn/index.ts';
import {
  readyz,
  spawnManager,
  stopIfRunning,
  useTestCluster,
  waitFor,
  type ManagerProcess,
} from '../../harness/index.ts';
import { ownedTables } from '../../../operators/vpc/ovn/nb/index.ts';
import { doc, ref } from './operator-fixture.ts';

const cluster = useTestCluster('vpc-recover');
let layout: OvnLayout;
let manager: ManagerProcess | undefined;
let managers = 0;

async function nb(args: string[]): Promise<string> {
  const r = await nbctl(layout, args);
  if (r.code !== 0) throw new Error(`ovn-nbctl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function startKcloudManager(): Promise<void> {
  const conn = await connection(layout);
  managers += 1;
  manager = spawnManager(
    [
      `--kubeconfig=${cluster.kubeconfigPath}`,
      '--operators=vpc',
      `--namespace=${cluster.namespace}`,
      '--leader-elect=false',
      `--ovn-nb=${conn.nb.unix}`,
      '--resync-period=2s',
      '--log-level=info',
    ],
    `vpc-recover-${String(managers)}`,
    await freePort(),
    layout.runDir,
  );
  const addr = manager.healthAddr;
  await waitFor(() => readyz(addr), { timeoutMs: 60_000, what: 'kcloud-manager ready' });
}

beforeAll(async () => {
  const base = path.join(repoRoot, '.local', 'test-runs');
  await mkdir(base, { recursive: true });
  layout = ovnLayout(await mkdtemp(path.join(base, 'ovn-recover-')));
  await up(layout, { dataPlane: false });
  await startKcloudManager();
});

afterAll(async () => {
  await stopIfRunning(manager, 'SIGTERM');
  await down(layout, { purge: true });
  await rm(layout.runDir, { recursive: true, force: true });
});

/**
 * One line per row the namespace's objects own: table, owner and rule. A duplicated row shows
 * as a repeated line, a missing one as a missing line.
 */
async function inventory(namespace = cluster.namespace): Promise<string[]> {
  const lines: string[] = [];
  for (const table of ownedTables) {
    const out = await nb([
      '--format=json',
      '--columns=external_ids',
      'find',
      table,
      `external_ids:"kcloud.io/namespace"="${namespace}"`,
    ]);
    const { data } = JSON.parse(out) as { data: [['map', [string, string][]]][] };
    for (const [[, pairs]] of data) {
      const ids = Object.fromEntries(pairs);
      lines.push(
        `${table} ${ids['kcloud.io/kind'] ?? ''}/${ids['kcloud.io/name'] ?? ''} ${ids['kcloud.io/rule'] ?? ''}`.trim(),
      );
    }
  }
  return lines.sort();
}

async function converged(want: string[], what: string): Promise<void> {
  let last: string[] = [];
  await waitFor(
    async () => {
      last = await inventory();
      return JSON.stringify(last) === JSON.stringify(want);
    },
    {
      timeoutMs: 60_000,
      what,
      describe: () => {
        const missing = want.filter((l) => !last.includes(l));
        const extra = last.filter((l) => !want.includes(l));
        return `missing: ${missing.join('; ') || '-'}\nextra or doubled: ${extra.join('; ') || '-'} (${String(last.length)} rows, want ${String(want.length)})`;
      },
    },
  );
}

async function allReady(kind: string, names: string[]): Promise<void> {
  for (const name of names)
    await cluster.waitForCondition(ref(kind, name), 'Ready', 'True', 90_000);
}

const nicNames = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i)}`);

let baseline: string[] = [];

describe('the VPC operator recovering', () => {
  it('programs a VPC with every kind', async () => {
    await cluster.apply(
      [
        doc('VPC', 'v', { cidrBlocks: ['10.0.0.0/16'] }),
        doc('Subnet', 'a', { vpcRef: { name: 'v' }, cidrBlock: '10.0.1.0/24' }),
        doc('Subnet', 'b', { vpcRef: { name: 'v' }, cidrBlock: '10.0.2.0/24' }),
        doc('SecurityGroup', 'web', {
          vpcRef: { name: 'v' },
          rules: [
            {
              name: 'http',
              direction: 'Ingress',
              protocol: 'TCP',
              ports: { from: 80, to: 80 },
              remoteCIDR: '0.0.0.0/0',
            },
          ],
        }),
        doc('NetworkACL', 'edge', {
          subnetRefs: [{ name: 'a' }],
          rules: [
            {
              ruleNumber: 10,
              direction: 'Ingress',
              protocol: 'All',
              cidr: '0.0.0.0/0',
              action: 'Allow',
            },
          ],
        }),
        doc('RouteTable', 'rt', {
          vpcRef: { name: 'v' },
          subnetRefs: [{ name: 'a' }],
          routes: [{ destination: '192.168.0.0/16', blackhole: true }],
        }),
        ...['n-0', 'n-1'].map((n) =>
          doc('NetworkInterface', n, {
            subnetRef: { name: 'a' },
            securityGroupRefs: [{ name: 'web' }],
          }),
        ),
        doc('NetworkInterface', 'n-2', {
          subnetRef: { name: 'b' },
          bandwidth: { egressMbps: 10, ingressMbps: 20 },
        }),
      ].join('---\n'),
    );
    await allReady('NetworkInterface', ['n-0', 'n-1', 'n-2']);
    await allReady('NetworkACL', ['edge']);
    await allReady('RouteTable', ['rt']);
    baseline = await inventory();
    // router, 2 router ports, 2 switches, 2 router-facing + 3 interface ports, 2 DHCP options,
    // 1 port group with 2 ACLs (same-group, http), 1 NetworkACL ACL, 1 route, 2 QoS rows (n-2's
    // limits).
    expect(baseline).toHaveLength(19);
  });

  it('puts back rows deleted by hand, once each', async () => {
    const a = await cluster.read(ref('Subnet', 'a'));
    const web = await cluster.read(ref('SecurityGroup', 'web'));
    const n2 = await cluster.read(ref('NetworkInterface', 'n-2'));
    const b = await cluster.read(ref('Subnet', 'b'));
    await nb(['ls-del', String(a.status?.switchName)]);
    await nb(['pg-del', String(web.status?.portGroupName)]);
    await nb(['lsp-del', String(n2.status?.portName)]);
    await nb(['qos-del', String(b.status?.switchName)]);
    await nb([
      'dhcp-options-del',
      (
        await nb([
          '--bare',
          '--columns=_uuid',
          'find',
          'DHCP_Options',
          `external_ids:"kcloud.io/uid"="${b.metadata?.uid ?? ''}"`,
        ])
      ).trim(),
    ]);
    expect((await inventory()).length).toBeLessThan(baseline.length);
    await converged(baseline, 'every row back after deletions by hand');
  });

  it('removes rows whose owner is gone, and only those of its namespace', async () => {
    // An interface force-deleted (finalizer stripped) while no manager ran leaves its port and
    // its QoS rows.
    await stopIfRunning(manager, 'SIGTERM');
    const kubectl = (args: string[]) =>
      kubectlOk(cluster.kubeconfigPath, [...args, '-n', cluster.namespace]);
    await kubectl(['delete', 'networkinterface', 'n-2', '--wait=false']);
    await kubectl([
      'patch',
      'networkinterface',
      'n-2',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
    await cluster.waitForGone(ref('NetworkInterface', 'n-2'));
    // A switch recorded for a Subnet that never existed here, and one of another namespace.
    const ghost = (ns: string, name: string) => [
      '--',
      'ls-add',
      name,
      '--',
      'set',
      'Logical_Switch',
      name,
      'external_ids:"kcloud.io/kind"=Subnet',
      `external_ids:"kcloud.io/namespace"="${ns}"`,
      'external_ids:"kcloud.io/name"=ghost',
      `external_ids:"kcloud.io/uid"=${name}`,
    ];
    await nb(ghost(cluster.namespace, 'ghost-here'));
    await nb(ghost('elsewhere', 'ghost-elsewhere'));
    await startKcloudManager();
    await converged(
      baseline.filter(
        (l) => l !== 'Logical_Switch_Port NetworkInterface/n-2' && l !== 'QoS NetworkInterface/n-2',
      ),
      'the orphans of this namespace removed',
    );
    expect(await inventory('elsewhere')).toEqual(['Logical_Switch Subnet/ghost']);
    await nb(['ls-del', 'ghost-elsewhere']);
  });

  it('rides out a killed northbound database', async () => {
    const before = await inventory();
    const nbProcess = (await readState(layout))?.processes.find((p) => p.name === 'ovsdb-nb');
    process.kill(nbProcess?.pid ?? 0, 'SIGKILL');
    // Changes made while the database is away are applied when it is back.
    await cluster.apply(doc('NetworkInterface', 'during', { subnetRef: { name: 'b' } }));
    await cluster.apply(
      doc('SecurityGroup', 'web', {
        vpcRef: { name: 'v' },
        rules: [
          {
            name: 'https',
            direction: 'Ingress',
            protocol: 'TCP',
            ports: { from: 443, to: 443 },
            remoteCIDR: '0.0.0.0/0',
          },
        ],
      }),
    );
    await startComponent(layout, 'ovsdb-nb');
    await cluster.waitForCondition(ref('NetworkInterface', 'during'), 'Ready', 'True', 90_000);
    await converged(
      [
        ...before.filter((l) => l !== 'ACL SecurityGroup/web http'),
        'ACL SecurityGroup/web https',
        'Logical_Switch_Port NetworkInterface/during',
      ].sort(),
      'the changes made while the database was away, once each',
    );
  });

  it('rides out a manager killed in the middle of its work', async () => {
    const before = await inventory();
    const names = nicNames('burst', 30);
    await cluster.apply(
      names.map((n) => doc('NetworkInterface', n, { subnetRef: { name: 'b' } })).join('---\n'),
    );
    // Kill it as soon as some of them are done, with others in flight.
    await waitFor(
      async () =>
        (await inventory()).filter((l) =>
          l.startsWith('Logical_Switch_Port NetworkInterface/burst'),
        ).length >= 3,
      { timeoutMs: 60_000, intervalMs: 20, what: 'a few interfaces programmed' },
    );
    await stopIfRunning(manager, 'SIGKILL');
    await startKcloudManager();
    await allReady('NetworkInterface', names);
    await converged(
      [...before, ...names.map((n) => `Logical_Switch_Port NetworkInterface/${n}`)].sort(),
      'one port per interface',
    );
    const addresses = await Promise.all(
      names.map(async (n) => (await cluster.read(ref('NetworkInterface', n))).status?.ipAddress),
    );
    expect(new Set(addresses).size).toBe(names.length);
    const b = await cluster.read(ref('Subnet', 'b'));
    const ports = (await nb(['lsp-list', String(b.status?.switchName)])).trim().split('\n');
    // The router-facing port, `during` and the burst.
    expect(ports).toHaveLength(names.length + 2);
  });
});
