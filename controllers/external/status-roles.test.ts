import { describe, expect, it } from '@jest/globals';
import type { Condition } from '../reconcile/index.ts';
import { ReconcileError } from './external-client.ts';
import { FakeBackend, finalizer, path, setup, t0, type Note } from './managed-fixture.ts';
import { managedReconciler } from './managed-reconciler.ts';
import { contributionsChanged, type PhaseSummary } from './status-roles.ts';

const agent = 'note-agent';
const manager = 'note-manager';

/**
 * One Note with two writers, as a manager and a host agent share an object: the manager
 * schedules (its own backend, condition Scheduled) and sums up Ready; the agent provisions
 * (another backend, condition Provisioned, and the product fields path and size).
 */
function twoWriters(stalled?: (c: Condition) => boolean) {
  const s = setup();
  const host = new FakeBackend();
  const phases: PhaseSummary[] = [];
  const runManager = s.writer({
    controllerName: manager,
    role: {
      kind: 'summarizer',
      condition: 'Scheduled',
      contributors: ['Provisioned'],
      phase: (_note, summary) => {
        phases.push(summary);
        return summary.decidedBy === 'Provisioned' && summary.outcome.state === 'Reconciling'
          ? 'Creating'
          : summary.phase;
      },
      ...(stalled ? { stalled } : {}),
    },
    statusFields: [],
    status: () => ({}),
  });
  const runAgent = s.writer(
    {
      controllerName: agent,
      finalizer: 'example.kcloud.io/host',
      role: { kind: 'contributor', condition: 'Provisioned' },
      statusFields: ['path', 'size'],
    },
    host,
  );
  s.api.seed(s.client, {
    apiVersion: 'example.kcloud.io/v1alpha1',
    kind: 'Note',
    metadata: { namespace: 'ns', name: 'a' },
    spec: { text: 'hello' },
  });
  s.syncCache();
  /** Runs one writer on what the cache holds, then lets the cache see the result. */
  const step = async (run: () => Promise<unknown>) => {
    const result = await run();
    s.syncCache();
    return result;
  };
  const conditions = () =>
    (s.stored().status?.conditions ?? []).map(
      (c) => `${c.type}=${c.status} ${c.reason} @${String(c.observedGeneration)}`,
    );
  const applies = () =>
    s.api.writes().filter((c) => c.path === `${path}/status`) as unknown as {
      query: { fieldManager: string };
      body: { status: Record<string, unknown> & { conditions?: Condition[] } };
    }[];
  return { ...s, host, phases, runManager, runAgent, step, conditions, applies };
}

describe('two writers of one status', () => {
  it('each applies only its own part; Ready waits for the contribution, then sums both up', async () => {
    const s = twoWriters();

    await s.step(s.runManager);
    // Scheduled, but the agent has said nothing yet: waiting, phase from the product.
    expect(s.applies().map((c) => c.query.fieldManager)).toEqual([manager]);
    expect(s.applies()[0]?.body.status).toEqual({
      phase: 'Creating',
      conditions: [
        expect.objectContaining({ type: 'Scheduled', status: 'True', reason: 'Scheduled' }),
        expect.objectContaining({
          type: 'Ready',
          status: 'False',
          reason: 'WaitingForProvisioned',
          message: 'Provisioned is not reported yet',
        }),
        expect.objectContaining({ type: 'Reconciling', status: 'True' }),
        expect.objectContaining({ type: 'Stalled', status: 'False' }),
      ],
    });
    expect(s.stored().status?.observedGeneration).toBeUndefined();
    s.clear();

    await s.step(s.runAgent);
    // The agent's part only: its condition with the generation, its product fields.
    expect(s.applies()).toEqual([
      expect.objectContaining({
        query: { fieldManager: agent, force: 'false' },
        body: expect.objectContaining({
          status: {
            path: '/notes/ns/a',
            size: 5,
            conditions: [
              {
                type: 'Provisioned',
                status: 'True',
                reason: 'Provisioned',
                message: 'the backend resource matches the spec',
                observedGeneration: 1,
                lastTransitionTime: t0,
              },
            ],
          },
        }),
      }),
    ]);
    expect(s.conditions()).toEqual([
      'Scheduled=True Scheduled @1',
      'Ready=False WaitingForProvisioned @1',
      'Reconciling=True WaitingForProvisioned @1',
      'Stalled=False Retrying @1',
      'Provisioned=True Provisioned @1',
    ]);
    s.clear();

    await s.step(s.runManager);
    expect(s.conditions()).toEqual([
      'Scheduled=True Scheduled @1',
      'Ready=True Available @1',
      'Reconciling=False Succeeded @1',
      'Stalled=False Succeeded @1',
      'Provisioned=True Provisioned @1',
    ]);
    expect(s.stored().status).toMatchObject({
      phase: 'Ready',
      observedGeneration: 1,
      path: '/notes/ns/a',
      size: 5,
    });
    // The manager carries none of the agent's part.
    expect(JSON.stringify(s.applies())).not.toContain('Provisioned=');
    expect(s.applies()[0]?.body.status.conditions?.map((c) => c.type)).toEqual([
      'Scheduled',
      'Ready',
      'Reconciling',
      'Stalled',
    ]);
    expect(s.applies()[0]?.body.status).not.toHaveProperty('size');

    // Converged: neither writes again.
    s.clear();
    await s.step(s.runManager);
    await s.step(s.runAgent);
    expect(s.api.writes()).toEqual([]);
  });

  it('follows the contribution: work in progress, a stalled failure, an unreachable host', async () => {
    const s = twoWriters((c) => c.reason === 'ImageCorrupt');
    await s.step(s.runManager);
    await s.step(s.runAgent);
    await s.step(s.runManager);

    // A new generation: until the agent reports on it, its True is for the old one.
    await s.client.patch('ns', 'a', 'merge', { spec: { text: 'changed' } });
    s.syncCache();
    await s.step(s.runManager);
    expect(s.conditions()).toContain('Ready=False WaitingForProvisioned @2');
    expect(s.stored().status?.observedGeneration).toBe(1);

    // The agent's copy runs.
    s.host.writesStart = { reason: 'Copying', message: 'copying, 40%', requeueAfterMs: 1_000 };
    expect(await s.step(s.runAgent)).toEqual({ requeueAfter: 1_000 });
    expect(s.conditions()).toContain('Provisioned=False Copying @2');
    await s.step(s.runManager);
    expect(s.conditions()).toEqual([
      'Scheduled=True Scheduled @2',
      'Ready=False Copying @2',
      'Reconciling=True Copying @2',
      'Stalled=False Retrying @2',
      'Provisioned=False Copying @2',
    ]);
    expect(s.stored().status).toMatchObject({ phase: 'Creating', observedGeneration: 1 });

    // A failure that waits for a human, as the product reads its agent's reasons.
    s.host.inProgress = undefined;
    s.host.writesStart = undefined;
    s.host.failNext.set(
      'observe',
      new ReconcileError('ImageCorrupt', 'the image fails its checksum', { retry: false }),
    );
    expect(await s.step(s.runAgent)).toBeUndefined();
    expect(s.conditions()).toContain('Provisioned=False ImageCorrupt @2');
    // The agent wrote neither phase nor observedGeneration.
    expect(s.stored().status).toMatchObject({ phase: 'Creating', observedGeneration: 1 });
    await s.step(s.runManager);
    expect(s.conditions()).toEqual([
      'Scheduled=True Scheduled @2',
      'Ready=False ImageCorrupt @2',
      'Reconciling=False Stalled @2',
      'Stalled=True ImageCorrupt @2',
      'Provisioned=False ImageCorrupt @2',
    ]);
    // Concluded: the generation waits for a human.
    expect(s.stored().status).toMatchObject({ phase: 'Failed', observedGeneration: 2 });

    // The agent's host goes away: Unknown flows into Ready.
    s.host.unreachable = { reason: 'PoolUnreachable', message: 'pool p1', requeueAfterMs: 5_000 };
    expect(await s.step(s.runAgent)).toEqual({ requeueAfter: 5_000 });
    expect(s.conditions()).toContain('Provisioned=Unknown PoolUnreachable @2');
    expect(s.recorder.summary()).toContain('Warning PoolUnreachable');
    await s.step(s.runManager);
    expect(s.conditions()).toContain('Ready=Unknown PoolUnreachable @2');
    expect(s.stored().status).toMatchObject({ phase: 'Unknown', observedGeneration: 2 });
    expect(s.phases.at(-1)).toMatchObject({ decidedBy: 'Provisioned', phase: 'Unknown' });
  });

  it('lets its own outcome decide first: a manager that cannot reach its backend says Unknown', async () => {
    const s = twoWriters();
    await s.step(s.runManager);
    await s.step(s.runAgent);
    s.backend.unreachable = {
      reason: 'HostHeartbeatLost',
      message: 'host h1 missed its heartbeats',
      requeueAfterMs: 10_000,
    };
    expect(await s.step(s.runManager)).toEqual({ requeueAfter: 10_000 });
    expect(s.conditions()).toEqual([
      'Scheduled=Unknown HostHeartbeatLost @1',
      'Ready=Unknown HostHeartbeatLost @1',
      'Reconciling=True HostHeartbeatLost @1',
      'Stalled=False Retrying @1',
      'Provisioned=True Provisioned @1',
    ]);
    expect(s.stored().status?.phase).toBe('Unknown');
    expect(s.recorder.summary()).toEqual([
      'Normal Created',
      'Normal Created',
      'Warning HostHeartbeatLost',
    ]);
  });

  it('needs the product fields of a writer that shares the status', () => {
    const s = setup();
    expect(() =>
      managedReconciler({
        controllerName: agent,
        finalizer,
        client: s.client,
        cache: s.cache,
        external: () => s.backend,
        status: () => ({}),
        role: { kind: 'contributor', condition: 'Provisioned' },
      }),
    ).toThrow(
      'note-agent: a contributor shares the status with another writer and must name its statusFields',
    );
  });

  it('writes a contributor’s observed conditions with its own, and keeps them when it observed nothing', async () => {
    const s = setup();
    const run = s.writer({
      controllerName: agent,
      role: { kind: 'contributor', condition: 'Provisioned' },
      statusFields: ['path', 'size'],
      observedConditions: {
        types: ['Big'],
        of: (_n, o) => [
          {
            type: 'Big',
            status: (o.observed?.size ?? 0) > 3 ? 'True' : 'False',
            reason: 'Measured',
            message: `${String(o.observed?.size)} bytes`,
          },
        ],
      },
    });
    s.api.seed(s.client, {
      apiVersion: 'example.kcloud.io/v1alpha1',
      kind: 'Note',
      metadata: { namespace: 'ns', name: 'a', generation: 2 },
      spec: { text: 'hello' },
    });
    s.syncCache();
    await run();
    s.syncCache();
    const big = () => s.stored().status?.conditions?.find((c) => c.type === 'Big');
    expect(big()).toMatchObject({
      status: 'True',
      reason: 'Measured',
      message: '5 bytes',
      observedGeneration: 2,
    });
    // Unreachable: nothing observed, the condition stays as it was.
    s.backend.unreachable = { reason: 'HostLost', message: 'gone', requeueAfterMs: 1000 };
    await run();
    s.syncCache();
    expect(big()).toMatchObject({ status: 'True', message: '5 bytes' });
    expect(s.stored().status?.conditions?.map((c) => c.type)).toEqual(['Big', 'Provisioned']);
  });
});

describe('contributionsChanged', () => {
  const note = (conditions: Condition[]): Note => ({
    metadata: { name: 'a' },
    spec: { text: '' },
    status: { conditions },
  });
  const c = (type: string, status: Condition['status'], observedGeneration = 1): Condition => ({
    type,
    status,
    reason: 'R',
    message: '',
    observedGeneration,
    lastTransitionTime: t0,
  });
  const changed = contributionsChanged(['Provisioned']);

  it('wakes the summarizer for a contributing condition only', () => {
    expect(changed(note([]), note([c('Provisioned', 'True')]))).toBe(true);
    expect(changed(note([c('Provisioned', 'True')]), note([c('Provisioned', 'True', 2)]))).toBe(
      true,
    );
    expect(changed(note([c('Provisioned', 'True')]), note([c('Provisioned', 'True')]))).toBe(false);
    // Its own writes (Ready, Scheduled) do not wake it.
    expect(
      changed(
        note([c('Provisioned', 'True')]),
        note([c('Provisioned', 'True'), c('Ready', 'True')]),
      ),
    ).toBe(false);
  });

  it('does not redo a contributor’s stalled work for the same generation, only observes', async () => {
    const s = twoWriters();
    await s.step(s.runManager);
    s.host.failNext.set(
      'create',
      new ReconcileError('ChecksumMismatch', 'the image fails its checksum', { retry: false }),
    );
    expect(await s.step(s.runAgent)).toBeUndefined();
    expect(s.conditions()).toContain('Provisioned=False ChecksumMismatch @1');
    const creates = () => s.host.calls.filter((c) => c === 'create').length;
    expect(creates()).toBe(1);
    const events = s.recorder.summary().length;
    // The manager's status write and the agent's own finalizer wake the agent again.
    await s.step(s.runManager);
    expect(await s.step(s.runAgent)).toBeUndefined();
    expect(await s.step(s.runAgent)).toBeUndefined();
    expect(creates()).toBe(1);
    expect(s.host.calls.filter((c) => c === 'observe').length).toBeGreaterThanOrEqual(3);
    expect(s.conditions()).toContain('Provisioned=False ChecksumMismatch @1');
    expect(s.recorder.summary()).toHaveLength(events);
  });
});
