import { describe, expect, it } from '@jest/globals';
import { Cache, createLogger, FakeClock, ObjectClient } from '../../controllers/index.ts';
import { RecordingApi } from '../../controllers/testing/index.ts';
import { Host, type HostObject } from '../../operators/ecs/api/index.ts';
import { hostResource } from '../../operators/ecs/index.ts';
import { hostResources } from './capacity.ts';
import { agentFieldManager, hostRegistrationReconciler } from './registration.ts';
import { agentStatus, type HostFacts } from './report.ts';

const GiB = 2 ** 30;
const log = createLogger('test', 'error');

function facts(over: Partial<HostFacts> = {}): HostFacts {
  return {
    resources: hostResources(
      { cpus: 2, memoryBytes: 4 * GiB },
      { cpuOvercommit: 4, reservedMemoryBytes: GiB },
    ),
    reservedMemoryBytes: GiB,
    cpu: { model: 'Test CPU', arch: 'x86_64' },
    agentVersion: '0.1.0',
    hypervisor: { state: 'probed', result: { hypervisor: 'tcg', reason: 'no /dev/kvm' } },
    ...over,
  };
}

describe('what the agent reports about its host', () => {
  it('is the machine, the hypervisor the probe chose, and AgentReady', () => {
    const s = agentStatus(facts());
    expect(s.fields).toEqual({
      capacity: { vcpu: 2, memoryBytes: 4 * GiB, memory: '4Gi' },
      allocatable: { vcpu: 8, memoryBytes: 3 * GiB, memory: '3Gi' },
      cpu: { model: 'Test CPU', arch: 'x86_64' },
      hypervisor: 'tcg',
      agentVersion: '0.1.0',
    });
    expect(s.conditions).toEqual([
      expect.objectContaining({ type: 'AgentReady', status: 'True', reason: 'AgentReady' }),
    ]);
  });

  it('says when it is still probing, when the probe failed, and when no memory is left', () => {
    const probing = agentStatus(facts({ hypervisor: { state: 'probing' } }));
    expect(probing.fields.hypervisor).toBeUndefined();
    expect(probing.conditions[0]).toMatchObject({ status: 'Unknown', reason: 'ProbingHypervisor' });
    expect(
      agentStatus(facts({ hypervisor: { state: 'failed', error: 'boom' } })).conditions[0],
    ).toMatchObject({
      status: 'False',
      reason: 'HypervisorProbeFailed',
      message: expect.stringContaining('boom'),
    });
    const full = facts({
      resources: hostResources(
        { cpus: 2, memoryBytes: GiB },
        { cpuOvercommit: 4, reservedMemoryBytes: 2 * GiB },
      ),
      reservedMemoryBytes: 2 * GiB,
    });
    expect(agentStatus(full).conditions[0]).toMatchObject({
      status: 'False',
      reason: 'ReservedMemoryTooLarge',
      message: '--reserved-memory=2Gi leaves no memory for instances on a host with 1Gi: lower it',
    });
  });
});

describe('the agent’s Host reconcile', () => {
  function setup() {
    const clock = new FakeClock();
    const api = new RecordingApi({ clock });
    const client = new ObjectClient<HostObject>(api, hostResource);
    const cache = new Cache<HostObject>();
    let current = facts();
    const labels = { 'ecs.kcloud.io/host': 'h1', 'topology.kubernetes.io/zone': 'z1' };
    const reconcile = hostRegistrationReconciler({
      hosts: ['h1'],
      labelsOf: () => labels,
      statusOf: () => agentStatus(current),
      client,
      cache,
      clock,
    });
    const run = (name = 'h1') =>
      reconcile(
        { key: name, name },
        { log, reconcileID: 't', signal: new AbortController().signal },
      );
    const sync = () => {
      const stored = api.peek(client, undefined, 'h1');
      if (stored) cache.upsert(stored);
    };
    const seed = () =>
      cache.upsert(
        api.seed(client, {
          apiVersion: Host.apiVersion,
          kind: Host.kind,
          metadata: { name: 'h1', labels },
          spec: { unschedulable: true },
          status: {
            phase: 'Ready',
            conditions: [
              {
                type: 'Ready',
                status: 'True',
                reason: 'HostReady',
                message: 'the manager’s',
                lastTransitionTime: '2026-01-01T00:00:00Z',
              },
            ],
          },
        }),
      );
    return {
      api,
      client,
      cache,
      run,
      sync,
      seed,
      set: (f: HostFacts) => {
        current = f;
      },
    };
  }

  it('applies only its own status fields and AgentReady, as kcloud-agent, without force', async () => {
    const s = setup();
    s.seed();
    await s.run();
    expect(s.api.writes()).toEqual([
      expect.objectContaining({
        verb: 'PATCH',
        path: '/apis/ecs.kcloud.io/v1alpha1/hosts/h1/status',
        query: { fieldManager: agentFieldManager, force: 'false' },
      }),
    ]);
    const stored = s.api.peek(s.client, undefined, 'h1');
    expect(stored?.status).toMatchObject({
      phase: 'Ready',
      hypervisor: 'tcg',
      agentVersion: '0.1.0',
    });
    expect(stored?.status?.conditions?.map((c) => c.type).sort()).toEqual(['AgentReady', 'Ready']);
    // The spec (a cordon) is the cloud operator's and stays.
    expect(stored?.spec.unschedulable).toBe(true);
  });

  it('writes nothing when nothing it reports changed (a restart), and again when it did', async () => {
    const s = setup();
    s.seed();
    await s.run();
    s.sync();
    s.api.clearCalls();
    await s.run();
    expect(s.api.calls).toEqual([]);

    s.set(
      facts({ hypervisor: { state: 'probed', result: { hypervisor: 'kvm', reason: 'booted' } } }),
    );
    await s.run();
    expect(s.api.writes()).toHaveLength(1);
    expect(s.api.peek(s.client, undefined, 'h1')?.status?.hypervisor).toBe('kvm');
  });

  it('applies its labels again when one it set is gone or one it no longer sets is there', async () => {
    const s = setup();
    s.seed();
    await s.run();
    s.sync();
    s.api.clearCalls();
    const current = s.cache.get('h1');
    if (!current) throw new Error('no Host h1 in the cache');
    s.cache.upsert({
      ...current,
      metadata: {
        ...current.metadata,
        labels: {
          'ecs.kcloud.io/host': 'h1',
          'topology.kubernetes.io/zone': 'z1',
          'topology.kcloud.io/rack': 'old',
        },
      },
    });
    // The fake serves no apply on the object itself: the recorded request is what counts.
    await expect(s.run()).rejects.toThrow(/server-side apply only on the status subresource/);
    expect(s.api.calls[0]).toMatchObject({
      verb: 'PATCH',
      path: '/apis/ecs.kcloud.io/v1alpha1/hosts/h1',
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: agentFieldManager, force: 'false' },
      body: {
        metadata: {
          name: 'h1',
          labels: { 'ecs.kcloud.io/host': 'h1', 'topology.kubernetes.io/zone': 'z1' },
        },
        spec: {},
      },
    });
  });

  it('leaves alone a Host that is not one of its own', async () => {
    const s = setup();
    await s.run('h2');
    expect(s.api.calls).toEqual([]);
  });
});
