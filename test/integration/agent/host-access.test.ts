// An agent may write only its own host's Host, Host status and objects bound to its host, on
// the real API server: another host's agent is refused each of them, relabelling cannot move an
// object onto (or off) an agent's host, an agent cannot uncordon its own Host, and a host
// simulator (kcloud:simulator:<name>) reaches its simulated hosts <name>-sim-<n> only. The
// host-bound kind of a host module is the test-only Note, bound by the ecs.kcloud.io/host label
// as a module's kinds are.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { boundByLabel } from '../../../agent/access/index.ts';
import { renewLease } from '../../../agent/heartbeat/lease.ts';
import { hostModules } from '../../../agent/host-modules.ts';
import type { HostModule } from '../../../agent/modules/index.ts';
import {
  ApiClient,
  coordinationLeaseClient,
  isApiError,
  loadKubeConfig,
  microTime,
  ObjectClient,
  reconcilerRules,
  type KubeObject,
  type LeaseClient,
} from '../../../controllers/index.ts';
import { applyAgentAccess } from '../../../hack/demo/agent-access.ts';
import { Host, hostResource, type HostObject } from '../../../operators/ecs/index.ts';
import { Note, noteResource, type NoteObject } from '../../../operators/example/index.ts';
import { tempDir, useTestCluster, waitFor } from '../../harness/index.ts';
import { agentKubeconfig } from './agent-process.ts';

const cluster = useTestCluster('agent-host-bound');
const clients: ApiClient[] = [];
let work: { dir: string; cleanup: () => Promise<void> };
let ns = '';
let hostsNs = '';
let policy = '';
let hostA = '';
let hostB = '';
let sim = '';
let admin: Clients;

interface Clients {
  hosts: ObjectClient<HostObject>;
  notes: ObjectClient<NoteObject>;
  leases: LeaseClient;
  events: ObjectClient<KubeObject>;
}

/** An Event as an agent's recorder writes it, reported by the agent of `host`. */
function event(name: string, host: string): KubeObject {
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name, namespace: ns },
    eventTime: microTime(Date.now()),
    reportingController: 'kcloud.io/test',
    reportingInstance: `kcloud-agent/${host}`,
    action: 'Report',
    reason: 'Tested',
    type: 'Normal',
    note: 'from a test',
    regarding: { apiVersion: Note.apiVersion, kind: Note.kind, namespace: ns, name: 'bound-sim' },
  } as KubeObject;
}

/** A module whose host-bound kind is Note, as EVS's Volumes will be. */
const noteModule: HostModule = {
  name: 'notes',
  flags: {},
  configure: () => undefined,
  rbac: [
    ...reconcilerRules(Note.group, [Note.plural]),
    { apiGroups: [Note.group], resources: [`${Note.plural}/status`], verbs: ['update'] },
  ],
  hostBound: [
    boundByLabel({ group: Note.group, resource: Note.plural, subresource: '' }),
    boundByLabel({ group: Note.group, resource: Note.plural, subresource: 'status' }),
  ],
  register: () => undefined,
};

function clientsFor(kubeconfig: string): Clients {
  const api = new ApiClient(loadKubeConfig(kubeconfig));
  clients.push(api);
  return {
    hosts: new ObjectClient<HostObject>(api, hostResource),
    notes: new ObjectClient<NoteObject>(api, noteResource),
    leases: coordinationLeaseClient(api),
    events: new ObjectClient<KubeObject>(api, {
      group: 'events.k8s.io',
      version: 'v1',
      plural: 'events',
      namespaced: true,
    }),
  };
}

const agent = async (host: string) =>
  clientsFor(await agentKubeconfig(cluster.kubeconfigPath, work.dir, host));
const simulator = async (name: string) =>
  clientsFor(await agentKubeconfig(cluster.kubeconfigPath, work.dir, name, { simulator: true }));

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

/** The Host as the agent of `name` applies it (registration). */
function applyHost(c: Clients, name: string, labels: Record<string, string> = {}) {
  return c.hosts.patch(
    undefined,
    name,
    'apply',
    {
      apiVersion: Host.apiVersion,
      kind: Host.kind,
      metadata: { name, labels: { 'ecs.kcloud.io/host': name, ...labels } },
      spec: {},
    },
    { fieldManager: 'kcloud-agent', force: false },
  );
}

function applyHostStatus(c: Clients, name: string, agentVersion: string) {
  return c.hosts.patch(
    undefined,
    name,
    'apply',
    { apiVersion: Host.apiVersion, kind: Host.kind, metadata: { name }, status: { agentVersion } },
    { subresource: 'status', fieldManager: 'kcloud-agent', force: false },
  );
}

function labelNote(c: Clients, name: string, host: string) {
  return c.notes.patch(ns, name, 'merge', { metadata: { labels: { 'ecs.kcloud.io/host': host } } });
}

function noteStatus(c: Clients, name: string, path: string) {
  return c.notes.patch(ns, name, 'merge', { status: { path } }, { subresource: 'status' });
}

async function createNote(name: string, host?: string): Promise<NoteObject> {
  return admin.notes.create({
    apiVersion: Note.apiVersion,
    kind: Note.kind,
    metadata: {
      name,
      namespace: ns,
      ...(host ? { labels: { 'ecs.kcloud.io/host': host } } : {}),
    },
    spec: { text: name },
  });
}

beforeAll(async () => {
  work = await tempDir('agent-host-bound');
  ns = cluster.namespace;
  hostsNs = `${ns}-hosts`;
  policy = `kcloud-agent-host-${ns}`;
  hostA = `${ns}-a`;
  hostB = `${ns}-b`;
  sim = `${ns}-s`;
  admin = clientsFor(cluster.kubeconfigPath);
  await applyAgentAccess(cluster.kubeconfigPath, {
    name: policy,
    hostsNamespace: hostsNs,
    serviceAccounts: [],
    modules: [...hostModules, noteModule],
  });
  // The policy takes effect a moment after it is created: wait until it refuses what RBAC
  // allows (an agent registering another host's Host).
  const probe = await agent(`${ns}-probe`);
  await waitFor(
    async () => {
      const res = await applyHost(probe, `${ns}-not-probe`).then(
        () => 'created',
        (err: unknown) => err,
      );
      if (res === 'created') {
        await cluster.kubectl(['delete', 'host', `${ns}-not-probe`]);
        return false;
      }
      if (isApiError(res, 403) && res.message.includes(byPolicy(`${ns}-probe`))) return true;
      throw res;
    },
    { timeoutMs: 30_000, what: `the admission policy ${policy} to take effect` },
  );
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await cluster.kubectl([
    'delete',
    '--ignore-not-found',
    '--wait=false',
    `host/${hostA}`,
    `host/${hostB}`,
    `host/${sim}-sim-1`,
    `validatingadmissionpolicybinding/${policy}`,
    `validatingadmissionpolicy/${policy}`,
    `clusterrolebinding/${policy}`,
    `clusterrole/${policy}`,
    `namespace/${hostsNs}`,
  ]);
  await work.cleanup();
});

describe('a Host', () => {
  it('is registered and reported by its own host’s agent only', async () => {
    const a = await agent(hostA);
    const b = await agent(hostB);
    await applyHost(a, hostA);
    await applyHostStatus(a, hostA, 'a-1');

    // Another host's agent: not its Host, not its status, not a Host of a made-up name.
    const taken = await refusal(applyHost(b, hostA, { 'topology.kubernetes.io/zone': 'stolen' }));
    expect(taken.status).toBe(403);
    expect(taken.message).toContain(byPolicy(hostB));
    expect(taken.message).toContain(`not hosts ${hostA}`);
    const forged = await refusal(applyHostStatus(b, hostA, 'forged'));
    expect(forged.status).toBe(403);
    expect(forged.message).toContain(byPolicy(hostB));
    const other = await refusal(applyHost(b, `${ns}-c`));
    expect(other.status).toBe(403);

    // Nor can an agent bind its own Host to another host.
    const rebound = await refusal(applyHost(a, hostA, { 'ecs.kcloud.io/host': hostB }));
    expect(rebound.message).toContain(byPolicy(hostA));

    const stored = await admin.hosts.get(undefined, hostA);
    expect(stored.metadata.labels?.['ecs.kcloud.io/host']).toBe(hostA);
    expect(stored.status?.agentVersion).toBe('a-1');
    expect(stored.metadata.labels?.['topology.kubernetes.io/zone']).toBeUndefined();
    expect((await admin.hosts.list()).items.map((h) => h.metadata.name)).not.toContain(`${ns}-c`);
  });

  it('cannot be uncordoned by its own agent: the spec is the cloud operator’s', async () => {
    const a = await agent(hostA);
    await applyHost(a, hostA);
    await admin.hosts.patch(undefined, hostA, 'merge', { spec: { unschedulable: true } });
    const res = await refusal(
      a.hosts.patch(undefined, hostA, 'merge', { spec: { unschedulable: false } }),
    );
    expect(res.status).toBe(403);
    expect(res.message).toContain(byPolicy(hostA));
    // Registration again (labels only) still works on a cordoned Host, and keeps the cordon.
    await applyHost(a, hostA, { 'topology.kcloud.io/rack': 'r1' });
    const stored = await admin.hosts.get(undefined, hostA);
    expect(stored.spec.unschedulable).toBe(true);
    expect(stored.metadata.labels?.['topology.kcloud.io/rack']).toBe('r1');
  });
});

describe('an object bound to a host by its label', () => {
  it('is written by that host’s agent, refused to another host’s', async () => {
    const a = await agent(hostA);
    const b = await agent(hostB);
    await createNote('bound-a', hostA);
    await noteStatus(a, 'bound-a', '/by-a');

    const res = await refusal(noteStatus(b, 'bound-a', '/by-b'));
    expect(res.status).toBe(403);
    expect(res.message).toContain(byPolicy(hostB));
    expect(res.message).toContain(`not notes ${ns}/bound-a`);
    expect((await admin.notes.get(ns, 'bound-a')).status?.path).toBe('/by-a');

    // No label, or no labels at all: no agent's.
    await createNote('unbound');
    expect((await refusal(noteStatus(a, 'unbound', '/x'))).status).toBe(403);
  });

  it('cannot be moved to another host, or taken over, by relabelling', async () => {
    const a = await agent(hostA);
    const b = await agent(hostB);
    await createNote('moving', hostA);
    // B cannot take A's object by labelling it with its own host…
    const takeover = await refusal(labelNote(b, 'moving', hostB));
    expect(takeover.status).toBe(403);
    expect(takeover.message).toContain(byPolicy(hostB));
    // …nor can A hand its object to B (nor to a made-up host), nor drop the label.
    expect((await refusal(labelNote(a, 'moving', hostB))).message).toContain(byPolicy(hostA));
    expect(
      (
        await refusal(
          a.notes.patch(ns, 'moving', 'merge', {
            metadata: { labels: { 'ecs.kcloud.io/host': null } },
          }),
        )
      ).status,
    ).toBe(403);
    expect((await admin.notes.get(ns, 'moving')).metadata.labels?.['ecs.kcloud.io/host']).toBe(
      hostA,
    );

    // Through the status subresource the API server keeps the labels as they were: a status
    // write that carries other labels changes the status only.
    const current = await a.notes.get(ns, 'moving');
    const written = await a.notes.updateStatus({
      ...current,
      metadata: { ...current.metadata, labels: { 'ecs.kcloud.io/host': hostB } },
      status: { ...current.status, path: '/still-a' },
    });
    expect(written.metadata.labels?.['ecs.kcloud.io/host']).toBe(hostA);
    expect(written.status?.path).toBe('/still-a');
  });
});

describe('a host simulator', () => {
  it('writes its simulated hosts’ Hosts, Leases and bound objects only', async () => {
    const s = await simulator(sim);
    const simulated = { 'host.kcloud.io/simulated': 'true' };
    const one = `${sim}-sim-1`;
    await applyHost(s, one, simulated);
    await applyHostStatus(s, one, 'sim');
    await renewLease(s.leases, {
      namespace: hostsNs,
      hostName: one,
      leaseDurationSeconds: 40,
      labels: simulated,
    });
    await createNote('bound-sim', `${sim}-sim-2`);
    await noteStatus(s, 'bound-sim', '/sim');

    const bySimulator = `the kcloud host simulator kcloud:simulator:${sim} may write only`;
    for (const [what, call] of [
      ['an unlabelled Host', applyHost(s, `${sim}-sim-2`)],
      ['a Host named otherwise', applyHost(s, `${sim}-other`, simulated)],
      ['a Host with a name that only starts right', applyHost(s, `${sim}-sim-1x`, simulated)],
      ['a real host’s Host', applyHost(s, hostA, simulated)],
      ['a real host’s Host status', applyHostStatus(s, hostA, 'sim')],
      ['an object bound to a real host', noteStatus(s, 'bound-a', '/sim')],
      [
        'a real host’s Lease',
        renewLease(s.leases, { namespace: hostsNs, hostName: hostA, leaseDurationSeconds: 40 }),
      ],
    ] as const) {
      const res = await refusal(call);
      expect(`${what}: ${String(res.status)}`).toBe(`${what}: 403`);
      expect(res.message).toContain(bySimulator);
    }

    // Its Events name one of its simulated hosts (the agent's reportingInstance), never its
    // bare name nor a real host.
    await s.events.create(event('sim-event', `${sim}-sim-1`));
    for (const reporter of [sim, hostA]) {
      const res = await refusal(s.events.create(event(`sim-as-${reporter}`, reporter)));
      expect(res.message).toContain(bySimulator);
    }

    // And a real agent cannot write a simulated host's objects.
    const a = await agent(hostA);
    expect((await refusal(applyHostStatus(a, one, 'a'))).message).toContain(byPolicy(hostA));
  });
});
