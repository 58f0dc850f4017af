// Each kcloud agent may write only its own host's Lease, on the real API server, in both forms
// an agent authenticates: a client certificate for kcloud:agent:<host> (a local process) and the
// agent's ServiceAccount with a token bound to its pod (a DaemonSet pod; the token carries the
// pod's node). Host Leases live in a namespace of their own; no agent identity can touch the
// manager's leader Lease, even where RBAC would let it.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { agentGroup, serviceAccountUser } from '../../../agent/access/index.ts';
import { renewLease } from '../../../agent/heartbeat/lease.ts';
import {
  ApiClient,
  coordinationLeaseClient,
  isApiError,
  loadKubeConfig,
  microTime,
  parseTime,
  type Lease,
  type LeaseClient,
} from '../../../controllers/index.ts';
import { kubectl, runLayout } from '../../../hack/cluster/index.ts';
import { applyAgentAccess, writeAgentKubeconfig } from '../../../hack/demo/agent-access.ts';
import { envKeys } from '../../harness/env.ts';
import { tempDir, useTestCluster, waitFor } from '../../harness/index.ts';

const cluster = useTestCluster('agent-access');
const sa = 'kcloud-agent';
const clients: ApiClient[] = [];
let work: { dir: string; cleanup: () => Promise<void> };
let system = '';
let hosts = '';
let policy = '';
let admin: LeaseClient;

/** A Lease client with the credentials in `kubeconfig`. */
function leasesAs(kubeconfig: string): LeaseClient {
  const api = new ApiClient(loadKubeConfig(kubeconfig));
  clients.push(api);
  return coordinationLeaseClient(api);
}

async function certificateAgent(host: string): Promise<LeaseClient> {
  const runDir = process.env[envKeys.runDir];
  if (!runDir) {
    throw new Error(
      'signing agent certificates needs the test cluster’s CA: run without KCLOUD_TEST_KUBECONFIG',
    );
  }
  return leasesAs(
    await writeAgentKubeconfig(runLayout(runDir).pkiDir, cluster.kubeconfigPath, work.dir, host),
  );
}

/** The agent ServiceAccount with a token bound to `pod` (or to nothing). */
async function serviceAccountAgent(pod?: { name: string; uid: string }): Promise<LeaseClient> {
  const token = await cluster.core.createNamespacedServiceAccountToken({
    name: sa,
    namespace: system,
    body: {
      spec: {
        audiences: [],
        expirationSeconds: 3600,
        ...(pod ? { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', ...pod } } : {}),
      },
    },
  });
  const current = cluster.kc.getCurrentCluster();
  if (!current) throw new Error('no current cluster');
  const file = path.join(work.dir, `sa-${pod?.name ?? 'unbound'}.kubeconfig`);
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
      users: [{ name: sa, user: { token: token.status?.token } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: sa } }],
      'current-context': 'c',
    }),
    { mode: 0o600 },
  );
  return leasesAs(file);
}

/** A pod of the agent's ServiceAccount on `node` (no kubelet runs it: only its token counts). */
async function agentPod(name: string, node: string): Promise<{ name: string; uid: string }> {
  const pod = await cluster.core.createNamespacedPod({
    namespace: system,
    body: {
      metadata: { name },
      spec: {
        serviceAccountName: sa,
        nodeName: node,
        containers: [{ name: 'agent', image: 'kcloud.local/kcloud-agent:none' }],
      },
    },
  });
  return { name, uid: pod.metadata?.uid ?? '' };
}

function lease(namespace: string, name: string): Lease {
  const now = microTime(Date.now());
  return {
    metadata: { namespace, name },
    spec: { holderIdentity: name, leaseDurationSeconds: 40, acquireTime: now, renewTime: now },
  };
}

/** The error a call failed with; fails the test when it succeeded. */
async function refusal(call: Promise<unknown>): Promise<{ status: number; message: string }> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isApiError(err)) throw new Error(`expected the API server to refuse, got ${String(err)}`);
  return { status: err.status, message: err.message };
}

const byPolicy = (host: string) => `the kcloud agent of host ${host} may write only its own host`;

const heartbeat = (hostName: string) => ({
  namespace: hosts,
  hostName,
  leaseDurationSeconds: 40,
});

beforeAll(async () => {
  work = await tempDir('agent-access');
  system = cluster.namespace;
  hosts = `${system}-hosts`;
  policy = `kcloud-agent-host-${system}`;
  admin = leasesAs(cluster.kubeconfigPath);
  await cluster.apply(`apiVersion: v1
kind: ServiceAccount
metadata: {name: ${sa}}
`);
  await applyAgentAccess(cluster.kubeconfigPath, {
    name: policy,
    hostsNamespace: hosts,
    serviceAccounts: [serviceAccountUser(system, sa)],
  });
  // The manager's leader Lease, in the manager's namespace.
  await admin.create(lease(system, 'kcloud-manager'));

  // The policy takes effect a moment after it is created: wait until it refuses a probe that
  // RBAC allows (an agent creating a Lease for another host).
  const probe = await certificateAgent('probe');
  await waitFor(
    async () => {
      const res = await probe.create(lease(hosts, 'not-probe')).then(
        () => 'created',
        (err: unknown) => err,
      );
      if (res === 'created') {
        await cluster.kubectl(['delete', 'lease', 'not-probe', '-n', hosts]);
        return false;
      }
      if (isApiError(res, 403) && res.message.includes(byPolicy('probe'))) return true;
      throw res;
    },
    { timeoutMs: 30_000, what: `the admission policy ${policy} to take effect` },
  );
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await cluster.kubectl([
    'delete',
    'pods',
    '--all',
    '-n',
    system,
    '--force',
    '--grace-period=0',
    '--ignore-not-found',
  ]);
  await cluster.kubectl([
    'delete',
    '--ignore-not-found',
    `validatingadmissionpolicybinding/${policy}`,
    `validatingadmissionpolicy/${policy}`,
    `clusterrolebinding/${policy}`,
    `clusterrole/${policy}`,
    `namespace/${hosts}`,
  ]);
  await work.cleanup();
});

describe('an agent with a client certificate for its host', () => {
  it('renews its own Lease, in the hosts namespace', async () => {
    const a = await certificateAgent('host-a');
    const first = await renewLease(a, { ...heartbeat('host-a'), now: () => 1_000_000 });
    const second = await renewLease(a, { ...heartbeat('host-a'), now: () => 2_000_000 });
    expect(first.metadata.namespace).toBe(hosts);
    expect(second.metadata.name).toBe('host-a');
    const read = await admin.get(hosts, 'host-a');
    expect(read?.spec?.holderIdentity).toBe('host-a');
    expect(parseTime(read?.spec?.renewTime)).toBe(2_000_000);
    expect(parseTime(read?.spec?.acquireTime)).toBe(1_000_000);
  });

  it('cannot create or update another host’s Lease; that host’s agent can', async () => {
    const a = await certificateAgent('host-a');
    const b = await certificateAgent('host-b');

    const created = await refusal(a.create(lease(hosts, 'host-b')));
    expect(created.status).toBe(403);
    expect(created.message).toContain(byPolicy('host-a'));
    expect(created.message).toContain(`not leases ${hosts}/host-b`);

    await renewLease(b, heartbeat('host-b'));
    const own = await a.get(hosts, 'host-b');
    if (!own?.spec) throw new Error('host-b has no Lease');
    const forged = { ...own, spec: { ...own.spec, renewTime: microTime(Date.now() + 3_600_000) } };
    const updated = await refusal(a.update(forged));
    expect(updated.status).toBe(403);
    expect(updated.message).toContain(byPolicy('host-a'));
    expect((await admin.get(hosts, 'host-b'))?.spec?.renewTime).toBe(own.spec.renewTime);

    // B keeps renewing its own.
    const renewed = await renewLease(b, heartbeat('host-b'));
    expect(renewed.metadata.resourceVersion).not.toBe(own.metadata.resourceVersion);
  });
});

describe('an agent ServiceAccount with a token bound to its pod', () => {
  it('renews the Lease of its pod’s node and no other', async () => {
    const c = await serviceAccountAgent(await agentPod('agent-c', 'host-c'));
    await renewLease(c, heartbeat('host-c'));
    expect((await admin.get(hosts, 'host-c'))?.spec?.holderIdentity).toBe('host-c');

    // The same ServiceAccount, but the token names another node: not host-c's.
    const d = await serviceAccountAgent(await agentPod('agent-d', 'host-d'));
    const stolen = await refusal(renewLease(d, heartbeat('host-c')));
    expect(stolen.status).toBe(403);
    expect(stolen.message).toContain(byPolicy('host-d'));

    const created = await refusal(c.create(lease(hosts, 'host-z')));
    expect(created.message).toContain(byPolicy('host-c'));
  });

  it('writes nothing with a token that is not bound to a pod', async () => {
    const unbound = await serviceAccountAgent();
    const res = await refusal(renewLease(unbound, heartbeat('host-e')));
    expect(res.status).toBe(403);
    expect(res.message).toContain(`kcloud agent ${serviceAccountUser(system, sa)} names no host`);
  });
});

describe('the manager’s leader Lease', () => {
  it('is out of every agent’s reach, even where RBAC would allow it', async () => {
    const a = await certificateAgent('host-a');
    const c = await serviceAccountAgent(await agentPod('agent-c2', 'host-c'));
    // RBAC: agents have no rights in the manager's namespace at all.
    for (const agent of [a, c]) {
      expect((await refusal(agent.get(system, 'kcloud-manager'))).status).toBe(403);
      expect((await refusal(agent.create(lease(system, 'kcloud-manager')))).status).toBe(403);
    }

    // A mistaken grant (agents may write Leases and ConfigMaps in the manager's namespace):
    // the admission policy still refuses every write.
    await cluster.apply(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: too-much}
rules:
  - {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, create, update]}
  - {apiGroups: [''], resources: [configmaps], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: too-much}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: too-much}
subjects:
  - {apiGroup: rbac.authorization.k8s.io, kind: Group, name: '${agentGroup}'}
  - {kind: ServiceAccount, name: ${sa}, namespace: ${system}}
`);
    try {
      for (const [agent, host] of [
        [a, 'host-a'],
        [c, 'host-c'],
      ] as const) {
        const leader = await waitFor(
          () => agent.get(system, 'kcloud-manager').catch(() => undefined),
          { timeoutMs: 30_000, what: `the agent of ${host} to read the leader Lease (RBAC)` },
        );
        if (!leader.spec) throw new Error('no leader Lease');
        const seized = { ...leader, spec: { ...leader.spec, holderIdentity: host } };
        const res = await refusal(agent.update(seized));
        expect(res.status).toBe(403);
        expect(res.message).toContain(byPolicy(host));
      }
      // Any other kind too: the agent's own credentials, through kubectl.
      const other = await kubectl(path.join(work.dir, 'agent-host-a.kubeconfig'), [
        'create',
        'configmap',
        'agent-was-here',
        '-n',
        system,
      ]);
      expect(other.code).not.toBe(0);
      expect(other.stderr).toContain(byPolicy('host-a'));
      expect((await admin.get(system, 'kcloud-manager'))?.spec?.holderIdentity).toBe(
        'kcloud-manager',
      );
    } finally {
      await cluster.kubectl(['delete', 'rolebinding/too-much', 'role/too-much', '-n', system]);
    }
  });
});
