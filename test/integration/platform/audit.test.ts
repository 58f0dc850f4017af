// The audit trail on a real API server started with kcloud's generated policy: who changed
// what in which tenant's projects, who read which Secret (never its content), who was refused;
// the per-tenant view of `kcloud audit`; the log kept across an API server restart. On a
// control plane of its own: the test restarts its API server.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  down,
  kubectl,
  kubectlOk,
  repoRoot,
  runLayout,
  startComponent,
  stopComponent,
  up,
  type RunLayout,
} from '../../../hack/cluster/index.ts';
import { auditLogFiles } from '../../../operators/platform/audit/log-files.ts';
import type { AuditRecord } from '../../../operators/platform/audit/index.ts';
import { Tenant } from '../../../operators/platform/api/index.ts';
import { VPC } from '../../../operators/vpc/api/index.ts';
import { applyCrds } from '../../harness/index.ts';
import { makeAuditTenants } from './audit-world.ts';

const run = promisify(execFile);
let layout: RunLayout;
let logPath = '';
const secretValue = 'kcloud-audit-secret-8f3a1c';

/** `kubectl` as another user (an administrator impersonating them, as tools do). */
const as = (user: string, admin = true) => [
  `--as=${user}`,
  ...(admin ? ['--as-group=system:masters'] : ['--as-group=system:authenticated']),
];
const k = (args: string[], input?: string) => kubectlOk(layout.kubeconfig, args, input);

async function audit(args: string[]): Promise<AuditRecord[]> {
  const { stdout } = await run(
    process.execPath,
    [
      path.join(repoRoot, 'operators', 'platform', 'audit', 'cli.ts'),
      `--log=${logPath}`,
      `--kubeconfig=${layout.kubeconfig}`,
      '-o',
      'json',
      ...args,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AuditRecord);
}

const brief = (r: AuditRecord) =>
  `${r.user} ${r.verb} ${r.resource} ${r.namespace ?? '-'}/${r.name ?? '-'} ${r.result}`;

beforeAll(async () => {
  const base = path.join(repoRoot, '.local', 'test-runs');
  await mkdir(base, { recursive: true });
  layout = runLayout(await mkdtemp(path.join(base, 'audit-')));
  logPath = path.join(layout.auditDir, 'audit.log');
  await up(layout, { unsafeNoFsync: true });
  await applyCrds(layout.kubeconfig, [Tenant.crd(), VPC.crd()]);
  // Three tenants, one nested; a project of each (namespaces labelled with their tenant).
  await makeAuditTenants(k);
}, 120_000);

afterAll(async () => {
  await down(layout, { purge: true });
  await rm(layout.runDir, { recursive: true, force: true });
});

describe('audit', () => {
  it("records a tenant's acts and refusals, Secret reads without their content, and not the operators' status writes", async () => {
    const vpc = (ns: string) => `apiVersion: vpc.kcloud.io/v1alpha1
kind: VPC
metadata: {name: main, namespace: ${ns}}
spec: {cidrBlocks: [10.0.0.0/16]}
`;
    await k(['apply', '-f', '-', ...as('alice')], vpc('pay-main'));
    // A status write, as the operators make all day.
    await k([
      'patch',
      'vpc',
      'main',
      '-n',
      'pay-main',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Ready"}}',
    ]);
    await k(['get', 'vpc', 'main', '-n', 'pay-main', ...as('alice')]);
    await k([
      'create',
      'secret',
      'generic',
      'db-password',
      '-n',
      'fin-main',
      `--from-literal=password=${secretValue}`,
      ...as('alice'),
    ]);
    await k(['get', 'secret', 'db-password', '-n', 'fin-main', '-o', 'yaml', ...as('bob')]);
    // carol has no rights at all: refused, and recorded as refused.
    const refused = await kubectl(
      layout.kubeconfig,
      ['create', '-f', '-', ...as('carol', false)],
      vpc('hr-main'),
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/forbidden/i);

    const fin = (await audit(['--tenant=fin'])).map(brief);
    expect(fin).toEqual(
      expect.arrayContaining([
        'alice create vpcs.vpc.kcloud.io pay-main/main Allowed',
        'alice create secrets fin-main/db-password Allowed',
        'bob get secrets fin-main/db-password Allowed',
      ]),
    );
    // payroll's project is in fin's view (a sub-tenant), hr's is not; status writes and reads
    // of anything but Secrets are not recorded at all.
    expect(fin.filter((l) => l.includes('hr-main'))).toEqual([]);
    expect(fin.filter((l) => / (get|patch) vpcs/.test(l))).toEqual([]);
    expect(fin.filter((l) => l.includes('vpcs.vpc.kcloud.io/status'))).toEqual([]);
    const payroll = (await audit(['--tenant=payroll'])).map(brief);
    expect(payroll).toContain('alice create vpcs.vpc.kcloud.io pay-main/main Allowed');
    expect(payroll.filter((l) => l.includes('fin-main'))).toEqual([]);
    // Refused before the API server read the body: the namespace and kind are known, the name
    // is not.
    const hr = (await audit(['--tenant=hr'])).map(brief);
    expect(hr).toContain('carol create vpcs.vpc.kcloud.io hr-main/- Forbidden');
    // Who acted for whom.
    const created = (await audit(['--tenant=payroll', '--user=alice', '--writes'])).find(
      (r) => r.resource === 'vpcs.vpc.kcloud.io',
    );
    expect(created?.via).toBe('kcloud-admin');
    // The Secret's value is nowhere in the log, in clear or base64.
    const text = (
      await Promise.all((await auditLogFiles(logPath)).map((f) => readFile(f, 'utf8')))
    ).join('');
    expect(text).toContain('db-password');
    expect(text).not.toContain(secretValue);
    expect(text).not.toContain(Buffer.from(secretValue).toString('base64'));
    // An unknown tenant is an error, not an empty view.
    await expect(audit(['--tenant=nobody'])).rejects.toThrow(/no Tenant nobody/);
  }, 120_000);

  it('keeps the log across an API server restart and appends to it', async () => {
    const before = (await audit(['--writes'])).map(brief);
    await stopComponent(layout, 'kube-apiserver');
    await startComponent(layout, 'kube-apiserver');
    await k(['delete', 'vpc', 'main', '-n', 'pay-main', ...as('dave')]);
    const after = (await audit(['--writes'])).map(brief);
    expect(before).toContain('alice create vpcs.vpc.kcloud.io pay-main/main Allowed');
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length)).toContain(
      'dave delete vpcs.vpc.kcloud.io pay-main/main Allowed',
    );
  }, 120_000);
});
