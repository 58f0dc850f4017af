// kcloud-manager needs no more than docs/rbac.md says: with a ServiceAccount token bound (by a
// Role in one namespace) to exactly the documented rules, it elects itself leader, reconciles a
// Note and records events; and that identity can read no Secret and delete nothing.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { operators } from '../../../operators/manager/operators.ts';
import { addNoteController } from '../../../operators/example/index.ts';
import { managerEventRules, managerLeaderElectionRules } from '../../../controllers/index.ts';
import {
  startManager,
  tempDir,
  useTestCluster,
  waitFor,
  type RunningManager,
} from '../../harness/index.ts';

const cluster = useTestCluster('rt-rbac');
const sa = 'kcloud-manager';
const apiVersion = 'example.kcloud.io/v1alpha1';
let work: { dir: string; cleanup: () => Promise<void> };
let running: RunningManager | undefined;
let user = '';

const rules = [
  ...managerLeaderElectionRules,
  ...managerEventRules,
  ...(operators.find((o) => o.name === 'example')?.rbac ?? []),
];

/** A kubeconfig for the ServiceAccount: the cluster's server and CA, the account's token. */
async function serviceAccountKubeconfig(token: string): Promise<string> {
  const current = cluster.kc.getCurrentCluster();
  if (!current) throw new Error('no current cluster');
  const file = path.join(work.dir, 'sa.kubeconfig');
  await writeFile(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'c',
          cluster: { server: current.server, 'certificate-authority-data': current.caData },
        },
      ],
      users: [{ name: sa, user: { token } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: sa } }],
      'current-context': 'c',
    }),
    { mode: 0o600 },
  );
  return file;
}

beforeAll(async () => {
  work = await tempDir('rbac');
  const ns = cluster.namespace;
  user = `system:serviceaccount:${ns}:${sa}`;
  await cluster.apply(`apiVersion: v1
kind: ServiceAccount
metadata: {name: ${sa}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${sa}}
rules: ${JSON.stringify(rules)}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ${sa}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${sa}}
subjects: [{kind: ServiceAccount, name: ${sa}, namespace: ${ns}}]
`);
  const token = await cluster.core.createNamespacedServiceAccountToken({
    name: sa,
    namespace: ns,
    body: { spec: { expirationSeconds: 3600, audiences: [] } },
  });
  const kubeconfigPath = await serviceAccountKubeconfig(token.status?.token ?? '');
  running = await startManager(
    (mgr) => {
      addNoteController(mgr, { notesDir: path.join(work.dir, 'notes') });
    },
    {
      kubeconfigPath,
      namespace: ns,
      leaderElection: {
        namespace: ns,
        name: 'kcloud-manager',
        leaseDurationMs: 4_000,
        renewDeadlineMs: 3_000,
        retryPeriodMs: 500,
      },
    },
  );
});

afterAll(async () => {
  await running?.stop();
  await work.cleanup();
});

describe('kcloud-manager with only the documented RBAC', () => {
  it('leads, reconciles and records events', async () => {
    // Ready does not mean leading (a follower is ready too), and the RBAC authorizer may see
    // the fresh RoleBinding a moment late: the first Lease attempts can be refused.
    await waitFor(() => running?.mgr.isLeader() === true, {
      timeoutMs: 30_000,
      what: 'the manager to lead with its ServiceAccount',
    });
    await cluster.apply(`apiVersion: ${apiVersion}
kind: Note
metadata: {name: least-privilege}
spec: {text: "no cluster-admin here"}
`);
    await cluster.waitForCondition({ apiVersion, kind: 'Note', name: 'least-privilege' }, 'Ready');
    const events = await cluster.eventsFor('least-privilege', 'Note');
    expect(events.map((e) => e.reason)).toContain('Created');
  });

  it('can do what the rules say and nothing more', async () => {
    const can = async (verb: string, resource: string) => {
      const r = await cluster.kubectl([
        'auth',
        'can-i',
        verb,
        resource,
        `--as=${user}`,
        '-n',
        cluster.namespace,
      ]);
      return r.stdout.trim();
    };
    for (const rule of rules) {
      for (const resource of rule.resources) {
        const group = rule.apiGroups[0] ? `.${rule.apiGroups[0]}` : '';
        const [kind, sub] = resource.split('/');
        const target = `${kind ?? ''}${group}${sub ? `/${sub}` : ''}`;
        for (const verb of rule.verbs)
          expect(`${verb} ${target}: ${await can(verb, target)}`).toBe(`${verb} ${target}: yes`);
      }
    }
    for (const [verb, target] of [
      ['get', 'secrets'],
      ['list', 'secrets'],
      ['delete', 'notes.example.kcloud.io'],
      ['create', 'rolebindings.rbac.authorization.k8s.io'],
      ['create', 'pods'],
      ['delete', 'leases.coordination.k8s.io'],
    ] as const) {
      expect(`${verb} ${target}: ${await can(verb, target)}`).toBe(`${verb} ${target}: no`);
    }
  });
});
