// The audit view as a Kubernetes API on a real API server: kcloud serves audit.kcloud.io behind
// an APIService, the API server authenticates the user, checks RBAC and proxies with its
// front-proxy certificate. A tenant's auditor (a TenantRoleBinding, kept by the real tenant
// access controller) reads who did what in the tenant's projects with kubectl and nothing
// else: not another tenant's, not the records' objects, no write. kcloud refuses whoever calls
// it directly. On a control plane of its own, as the audit log is its API server's.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import {
  down,
  freePort,
  kubectl,
  kubectlOk,
  repoRoot,
  runLayout,
  up,
  type RunLayout,
} from '../../../hack/cluster/index.ts';
import { pkiPaths } from '../../../hack/cluster/pki.ts';
import { productKinds } from '../../../operators/kinds.ts';
import {
  addTenantAccessController,
  tenantClusterRoles,
} from '../../../operators/platform/access/index.ts';
import { platformKinds } from '../../../operators/platform/api/index.ts';
import { AuditApi, auditApiServiceName } from '../../../operators/platform/audit/api/index.ts';
import { VPC } from '../../../operators/vpc/api/index.ts';
import { applyCrds, startManager, waitFor, type RunningManager } from '../../harness/index.ts';
import { makeAuditTenants } from './audit-world.ts';

let layout: RunLayout;
let running: RunningManager | undefined;
let port = 0;
const serviceNamespace = 'kcloud-system';

const k = (args: string[], input?: string) => kubectlOk(layout.kubeconfig, args, input);
/** A user as the API server sees them once authenticated (impersonated by the administrator). */
const as = (user: string) => [`--as=${user}`, '--as-group=system:authenticated'];

interface Listed {
  items: {
    metadata: { name: string; namespace?: string };
    user: string;
    via?: string;
    verb: string;
    resource: string;
    objectName?: string;
    result: string;
  }[];
}

const brief = (r: Listed['items'][number]) =>
  `${r.user} ${r.verb} ${r.resource} ${r.metadata.namespace ?? '-'}/${r.objectName ?? '-'} ${r.result}`;

async function listAs(user: string | undefined, args: string[]): Promise<Listed['items']> {
  const stdout = await k(['get', 'auditrecords', '-o', 'json', ...args, ...(user ? as(user) : [])]);
  return (JSON.parse(stdout) as Listed).items;
}

/** A request straight to kcloud's server, past the API server. */
function direct(
  opts: { cert?: string; key?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/apis/audit.kcloud.io/v1alpha1/auditrecords',
        rejectUnauthorized: false,
        ...(opts.cert ? { cert: opts.cert, key: opts.key } : {}),
        headers: opts.headers ?? {},
      },
      (res) => {
        let body = '';
        res.on('data', (b: Buffer) => (body += b.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  const base = path.join(repoRoot, '.local', 'test-runs');
  await mkdir(base, { recursive: true });
  layout = runLayout(await mkdtemp(path.join(base, 'audit-api-')));
  await up(layout, { unsafeNoFsync: true });
  await applyCrds(layout.kubeconfig, [...platformKinds.map((kind) => kind.crd()), VPC.crd()]);
  await k(
    ['apply', '-f', '-'],
    tenantClusterRoles(productKinds)
      .map((o) => stringify(o))
      .join('---\n'),
  );
  await makeAuditTenants(k);
  await k(
    ['apply', '-f', '-'],
    [
      ['fin-auditors', 'fin', 'auditor', 'audrey'],
      ['fin-members', 'fin', 'member', 'alice'],
      ['hr-members', 'hr', 'member', 'carol'],
    ]
      .map(([name, tenant, role, user]) =>
        stringify({
          apiVersion: 'platform.kcloud.io/v1alpha1',
          kind: 'TenantRoleBinding',
          metadata: { name },
          spec: { tenantRef: { name: tenant }, role, subjects: [{ kind: 'User', name: user }] },
        }),
      )
      .join('---\n'),
  );
  // kcloud runs beside the API server, as make demo runs it: the APIService names a Service
  // whose ExternalName is this machine, on the port kcloud listens on.
  port = await freePort();
  await k(['create', 'namespace', serviceNamespace]);
  await k([
    'create',
    'service',
    'externalname',
    'kcloud-audit',
    '-n',
    serviceNamespace,
    '--external-name=localhost',
  ]);
  running = await startManager(
    (mgr) => {
      addTenantAccessController(mgr);
      mgr.addRunnable(
        new AuditApi(mgr, {
          logPath: path.join(layout.auditDir, 'audit.log'),
          listen: { host: '127.0.0.1', port },
          service: { namespace: serviceNamespace, name: 'kcloud-audit', port },
          certificateNames: [`kcloud-audit.${serviceNamespace}.svc`],
          secret: { namespace: serviceNamespace, name: 'kcloud-audit-tls' },
        }),
      );
    },
    { kubeconfigPath: layout.kubeconfig },
  );
  // What the users do, for the view to show.
  const vpc = (ns: string) =>
    stringify({
      apiVersion: 'vpc.kcloud.io/v1alpha1',
      kind: 'VPC',
      metadata: { name: 'main', namespace: ns },
      spec: { cidrBlocks: ['10.0.0.0/16'] },
    });
  await waitFor(
    async () =>
      (
        await kubectl(layout.kubeconfig, [
          'auth',
          'can-i',
          'create',
          'vpcs.vpc.kcloud.io',
          '-n',
          'pay-main',
          ...as('alice'),
        ])
      ).code === 0,
    { timeoutMs: 60_000, what: 'alice to be a member of fin’s projects' },
  );
  await k(['apply', '-f', '-', ...as('alice')], vpc('pay-main'));
  await k([
    'create',
    'secret',
    'generic',
    'db',
    '-n',
    'fin-main',
    '--from-literal=password=x',
    ...as('alice'),
  ]);
  await k(['get', 'secret', 'db', '-n', 'fin-main', ...as('alice')]);
  await k(['apply', '-f', '-', ...as('carol')], vpc('hr-main'));
}, 180_000);

afterAll(async () => {
  await running?.stop();
  await down(layout, { purge: true });
  await rm(layout.runDir, { recursive: true, force: true });
});

describe('the audit API', () => {
  it('is an APIService the API server finds available', async () => {
    await waitFor(
      async () => {
        const r = await kubectl(layout.kubeconfig, [
          'get',
          'apiservice',
          auditApiServiceName,
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Available")].status}',
        ]);
        return r.stdout === 'True';
      },
      { timeoutMs: 60_000, what: `APIService ${auditApiServiceName} Available` },
    );
    const stdout = await k(['api-resources', '--api-group=audit.kcloud.io', '-o', 'wide']);
    expect(stdout).toMatch(
      /auditrecords\s+audit\.kcloud\.io\/v1alpha1\s+true\s+AuditRecord\s+get,list/,
    );
  }, 90_000);

  it("shows a tenant's auditor what was done in the tenant's projects, as a table and as objects", async () => {
    const fin = (await listAs('audrey', ['-n', 'fin-main'])).map(brief);
    expect(fin).toEqual(
      expect.arrayContaining([
        'alice create secrets fin-main/db Allowed',
        'alice get secrets fin-main/db Allowed',
      ]),
    );
    expect(fin.every((l) => l.includes(' fin-main/'))).toBe(true);
    // A sub-tenant's project is the tenant's too.
    expect((await listAs('audrey', ['-n', 'pay-main'])).map(brief)).toContain(
      'alice create vpcs.vpc.kcloud.io pay-main/main Allowed',
    );
    const table = await k(['get', 'auditrecords', '-n', 'fin-main', ...as('audrey')]);
    expect(table.split('\n')[0]).toMatch(/^TIME\s+USER\s+VERB\s+RESOURCE\s+NAME\s+RESULT$/);
    expect(table).toMatch(/alice \(via kcloud-admin\)\s+create\s+secrets\s+db\s+201/);
    // Narrowed by field: the kubectl way.
    const reads = (await listAs('audrey', ['-n', 'fin-main', '--field-selector=verb=get'])).map(
      brief,
    );
    expect(reads).toEqual(['alice get secrets fin-main/db Allowed']);
    // A time window and writes only, as the CLI's flags.
    const raw = (query: string) =>
      k([
        'get',
        '--raw',
        `/apis/audit.kcloud.io/v1alpha1/namespaces/fin-main/auditrecords?${query}`,
        ...as('audrey'),
      ]).then((out) => (JSON.parse(out) as Listed).items.map(brief));
    const writes = await raw('since=1h&writes=true');
    expect(writes).toContain('alice create secrets fin-main/db Allowed');
    expect(writes.filter((l) => / get /.test(l))).toEqual([]);
    expect(await raw(`since=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
    // One record by its audit ID.
    const [first] = await listAs('audrey', ['-n', 'fin-main']);
    const one = await k([
      'get',
      'auditrecord',
      first?.metadata.name ?? '',
      '-n',
      'fin-main',
      '-o',
      'json',
      ...as('audrey'),
    ]);
    expect((JSON.parse(one) as { metadata: { name: string } }).metadata.name).toBe(
      first?.metadata.name,
    );
  }, 60_000);

  it('lets the auditor see no other tenant and change nothing', async () => {
    const refused = async (args: string[]) => {
      const r = await kubectl(layout.kubeconfig, [...args, ...as('audrey')]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/forbidden/i);
    };
    await refused(['get', 'auditrecords', '-n', 'hr-main']);
    await refused(['get', 'auditrecords', '--all-namespaces']);
    await refused(['delete', 'auditrecords', '--all', '-n', 'fin-main']);
    await refused(['create', 'secret', 'generic', 'x', '-n', 'fin-main', '--from-literal=a=b']);
    await refused(['get', 'secret', 'db', '-n', 'fin-main']);
    await refused(['delete', 'vpc', 'main', '-n', 'pay-main']);
    // A member works in the projects but is no auditor.
    const member = await kubectl(layout.kubeconfig, [
      'get',
      'auditrecords',
      '-n',
      'fin-main',
      ...as('alice'),
    ]);
    expect(member.stderr).toMatch(/forbidden/i);
  }, 60_000);

  it('serves a cluster administrator every project, and refuses writes even to them', async () => {
    const all = (await listAs(undefined, ['--all-namespaces', '--field-selector=user=carol'])).map(
      brief,
    );
    expect(all).toContain('carol create vpcs.vpc.kcloud.io hr-main/main Allowed');
    expect(all.every((l) => l.startsWith('carol '))).toBe(true);
    const bad = await kubectl(layout.kubeconfig, [
      'get',
      'auditrecords',
      '-A',
      '--field-selector=colour=red',
    ]);
    expect(bad.stderr).toContain('"colour" is not a field of AuditRecord');
    const write = await kubectl(layout.kubeconfig, [
      'delete',
      'auditrecords',
      '--all',
      '-n',
      'fin-main',
    ]);
    expect(write.code).not.toBe(0);
    expect(write.stderr).toContain('the audit view is read-only: DELETE is not served');
  }, 60_000);

  it('refuses whoever calls kcloud directly, whatever headers they send', async () => {
    const forged = { 'X-Remote-User': 'system:admin', 'X-Remote-Group': 'system:masters' };
    const none = await direct({ headers: forged });
    expect(none.status).toBe(401);
    expect(none.body).toContain('only the API server may call the audit API');
    // The cluster's own administrator certificate is signed by the cluster CA, not the
    // front-proxy CA: refused too.
    const adminCert = await readFile(pkiPaths(layout.pkiDir).adminCert, 'utf8');
    const adminKey = await readFile(pkiPaths(layout.pkiDir).adminKey, 'utf8');
    const admin = await direct({ cert: adminCert, key: adminKey, headers: forged });
    expect(admin.status).toBe(401);
    expect(admin.body).toContain('not signed by the front-proxy CA');
  }, 30_000);
});
