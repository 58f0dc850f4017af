import { describe, expect, it } from '@jest/globals';
import {
  Cache,
  createLogger,
  FakeClock,
  microTime,
  ObjectClient,
  type Lease,
} from '../../../controllers/index.ts';
import { RecordingApi } from '../../../controllers/testing/index.ts';
import { Host, type HostObject } from '../api/index.ts';
import {
  hostLifecycleFieldManager,
  hostLifecycleReconciler,
  hostResource,
  leaseUpdateMatters,
} from './host-lifecycle.ts';
import { hostLifecycle } from './host-lifecycle-status.ts';

const ns = 'kcloud-hosts';
const graceMs = 40_000;
const log = createLogger('test', 'error');

function host(over: Partial<HostObject> = {}, agentReady?: 'True' | 'False'): HostObject {
  return {
    apiVersion: Host.apiVersion,
    kind: Host.kind,
    metadata: { name: 'h1', generation: 1 },
    spec: { unschedulable: false },
    status: agentReady
      ? {
          conditions: [
            {
              type: 'AgentReady',
              status: agentReady,
              reason: agentReady === 'True' ? 'AgentReady' : 'ReservedMemoryTooLarge',
              message: 'from the agent',
              lastTransitionTime: '2026-01-01T00:00:00Z',
            },
          ],
        }
      : {},
    ...over,
  };
}

function lease(renewedAt: number, durationSeconds = 40): Lease {
  return {
    metadata: { name: 'h1', namespace: ns },
    spec: {
      holderIdentity: 'h1',
      leaseDurationSeconds: durationSeconds,
      renewTime: microTime(renewedAt),
    },
  };
}

describe('the lifecycle of a Host', () => {
  const now = Date.UTC(2026, 0, 1, 12);
  const decide = (h: HostObject, l: Lease | undefined, at = now) =>
    hostLifecycle({ host: h, lease: l, hostsNamespace: ns, now: at, gracePeriodMs: graceMs });

  it('is Ready and Schedulable while the heartbeat is fresh and the agent ready, rechecked exactly at expiry', () => {
    const d = decide(host({}, 'True'), lease(now - 10_000));
    expect(d.phase).toBe('Ready');
    expect(d.ready).toMatchObject({ status: 'True', reason: 'HostReady', observedGeneration: 1 });
    expect(d.schedulable).toMatchObject({ status: 'True', reason: 'Schedulable' });
    // renewed 10 s ago + 40 s Lease + 40 s grace: lost in 70 s, not a moment before.
    expect(d.recheckAfterMs).toBe(70_000);
  });

  it('stays Ready through the grace period and turns Unknown, HeartbeatLost, when it ends', () => {
    const renewed = now - 79_999;
    expect(decide(host({}, 'True'), lease(renewed)).ready.status).toBe('True');
    expect(decide(host({}, 'True'), lease(renewed)).recheckAfterMs).toBe(1);
    const lost = decide(host({}, 'True'), lease(renewed), now + 1);
    expect(lost.phase).toBe('Unknown');
    expect(lost.ready).toMatchObject({ status: 'Unknown', reason: 'HeartbeatLost' });
    expect(lost.ready.message).toContain(`heartbeat Lease ${ns}/h1`);
    expect(lost.schedulable).toMatchObject({ status: 'False', reason: 'HostNotReady' });
    // Nothing to wait for: the next renewal is what brings it back.
    expect(lost.recheckAfterMs).toBeUndefined();
  });

  it('is Pending without a Lease or before the agent reports, NotReady when the agent says so', () => {
    const none = decide(host(), undefined);
    expect(none.phase).toBe('Pending');
    expect(none.ready).toMatchObject({ status: 'Unknown', reason: 'NoHeartbeat' });
    expect(none.ready.message).toContain('--host-name=h1');
    expect(decide(host(), lease(now)).ready).toMatchObject({
      status: 'Unknown',
      reason: 'AgentNotReported',
    });
    const notReady = decide(host({}, 'False'), lease(now));
    expect(notReady.phase).toBe('NotReady');
    expect(notReady.ready).toMatchObject({ status: 'False', reason: 'AgentNotReady' });
    expect(notReady.ready.message).toContain('ReservedMemoryTooLarge');
  });

  it('is not Schedulable, reason Cordoned, when spec.unschedulable, and stays Ready', () => {
    const cordoned = decide(
      host({ spec: { unschedulable: true }, metadata: { name: 'h1', generation: 2 } }, 'True'),
      lease(now),
    );
    expect(cordoned.ready.status).toBe('True');
    expect(cordoned.schedulable).toMatchObject({
      status: 'False',
      reason: 'Cordoned',
      observedGeneration: 2,
    });
  });
});

describe('the host-lifecycle reconcile', () => {
  function setup() {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 12));
    const api = new RecordingApi({ clock });
    const client = new ObjectClient<HostObject>(api, hostResource);
    const hosts = new Cache<HostObject>();
    const leases = new Cache<Lease>();
    const reconcile = hostLifecycleReconciler({
      hosts,
      leases,
      client,
      hostsNamespace: ns,
      gracePeriodMs: graceMs,
      clock,
    });
    const run = () =>
      reconcile(
        { key: 'h1', name: 'h1' },
        { log, reconcileID: 't', signal: new AbortController().signal },
      );
    /** The informer's view after a write: the stored object. */
    const sync = () => {
      const stored = api.peek(client, undefined, 'h1');
      if (stored) hosts.upsert(stored);
    };
    return { clock, api, client, hosts, leases, run, sync };
  }

  it('applies only its own conditions and phase, without force, and writes nothing when nothing changed', async () => {
    const s = setup();
    const seeded = s.api.seed(s.client, host({}, 'True'));
    s.hosts.upsert(seeded);
    s.leases.upsert(lease(s.clock.now()));

    expect(await s.run()).toEqual({ requeueAfter: 80_000 });
    expect(s.api.writes()).toHaveLength(1);
    const [write] = s.api.writes();
    expect(write).toMatchObject({
      verb: 'PATCH',
      path: '/apis/ecs.kcloud.io/v1alpha1/hosts/h1/status',
      query: { fieldManager: hostLifecycleFieldManager, force: 'false' },
    });
    const body = write?.body as { status: { conditions: { type: string }[]; phase: string } };
    expect(body.status.phase).toBe('Ready');
    expect(body.status.conditions.map((c) => c.type)).toEqual(['Ready', 'Schedulable']);
    // The agent's AgentReady is still the agent's, untouched.
    const stored = s.api.peek(s.client, undefined, 'h1');
    expect(stored?.status?.conditions?.map((c) => c.type).sort()).toEqual([
      'AgentReady',
      'Ready',
      'Schedulable',
    ]);

    s.sync();
    s.api.clearCalls();
    await s.clock.advance(30_000);
    expect(await s.run()).toEqual({ requeueAfter: 50_000 });
    expect(s.api.calls).toEqual([]);
  });

  it('turns Ready=Unknown HeartbeatLost at the deadline it asked to be woken at', async () => {
    const s = setup();
    s.hosts.upsert(s.api.seed(s.client, host({}, 'True')));
    s.leases.upsert(lease(s.clock.now(), 4));
    const first = await s.run();
    expect(first).toEqual({ requeueAfter: 44_000 });
    s.sync();
    await s.clock.advance(first?.requeueAfter ?? 0);
    expect(await s.run()).toBeUndefined();
    const stored = s.api.peek(s.client, undefined, 'h1');
    expect(stored?.status?.phase).toBe('Unknown');
    expect(stored?.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'Unknown',
      reason: 'HeartbeatLost',
    });

    // A renewal brings it back.
    s.sync();
    s.leases.upsert(lease(s.clock.now(), 4));
    expect(await s.run()).toEqual({ requeueAfter: 44_000 });
    expect(s.api.peek(s.client, undefined, 'h1')?.status?.phase).toBe('Ready');
  });

  it('does nothing for a Host that is gone', async () => {
    const s = setup();
    expect(await s.run()).toBeUndefined();
    expect(s.api.calls).toEqual([]);
  });
});

describe('a heartbeat Lease’s renewal', () => {
  const now = Date.UTC(2026, 0, 1, 12);

  it('reconciles nothing while its Host is Ready, and its Host once it is not', () => {
    const hosts = new Cache<HostObject>();
    const matters = leaseUpdateMatters(hosts);
    const renewed = (at: number, duration = 40) => lease(at, duration);
    // No Host yet (or not Ready): the heartbeat may be what it waits for.
    expect(matters(renewed(now), renewed(now + 10_000))).toBe(true);
    const ready = host({}, 'True');
    ready.status = {
      ...ready.status,
      conditions: [
        ...(ready.status?.conditions ?? []),
        {
          type: 'Ready',
          status: 'True',
          reason: 'HostReady',
          message: '',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    };
    hosts.upsert(ready);
    expect(matters(renewed(now), renewed(now + 10_000))).toBe(false);
    // A new duration moves the deadline: look again.
    expect(matters(renewed(now), renewed(now + 10_000, 8))).toBe(true);
    const lost = host({}, 'True');
    lost.status = {
      conditions: [
        {
          type: 'Ready',
          status: 'Unknown',
          reason: 'HeartbeatLost',
          message: '',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    };
    hosts.upsert(lost);
    expect(matters(renewed(now), renewed(now + 10_000))).toBe(true);
  });
});
