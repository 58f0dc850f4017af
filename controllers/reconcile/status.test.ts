import { describe, expect, it } from '@jest/globals';
import { ApiError, ObjectClient, type KubeObject, type ResourceRef } from '../kube/index.ts';
import { RecordingApi } from '../testing/index.ts';
import type { Condition } from './conditions.ts';
import { ReconcileError } from './errors.ts';
import { applyStatus, StatusConflictError } from './status.ts';

interface Status {
  phase?: string;
  size?: number;
  path?: string;
  conditions?: Condition[];
}

interface Note extends KubeObject {
  spec: { text: string };
  status?: Status;
}

const ref: ResourceRef = {
  group: 'example.kcloud.io',
  version: 'v1alpha1',
  plural: 'notes',
  namespaced: true,
  kind: 'Note',
};
const t0 = '2026-01-01T00:00:00Z';
const cond = (type: string, status: Condition['status'] = 'True'): Condition => ({
  type,
  status,
  reason: type,
  message: '',
  lastTransitionTime: t0,
});

function setup() {
  const api = new RecordingApi();
  const client = new ObjectClient<Note>(api, ref);
  const seeded = api.seed(client, {
    apiVersion: 'example.kcloud.io/v1alpha1',
    kind: 'Note',
    metadata: { namespace: 'ns', name: 'a' },
    spec: { text: 'hello' },
  });
  const current = () => api.peek(client, 'ns', 'a') ?? seeded;
  return { api, client, current };
}

describe('applyStatus', () => {
  it('applies without force, as its own field manager', async () => {
    const { api, client, current } = setup();
    await applyStatus<Status, Note>(client, current(), { phase: 'Ready' }, 'ctrl');
    expect(api.calls).toEqual([
      expect.objectContaining({
        verb: 'PATCH',
        query: { fieldManager: 'ctrl', force: 'false' },
        contentType: 'application/apply-patch+yaml',
      }),
    ]);
  });

  it('compares only what the writer owns: others’ fields and conditions cause no write', async () => {
    const { api, client, current } = setup();
    const mine = { conditions: ['Provisioned'], fields: ['size'] };
    await applyStatus<Status, Note>(
      client,
      current(),
      { size: 5, conditions: [cond('Provisioned')] },
      'agent',
      undefined,
      mine,
    );
    await applyStatus<Status, Note>(
      client,
      current(),
      { phase: 'Ready', conditions: [cond('Ready'), cond('Scheduled')] },
      'manager',
    );
    api.clearCalls();

    // The status now holds the manager's part too; the agent's own part is unchanged.
    expect(
      await applyStatus<Status, Note>(
        client,
        current(),
        { size: 5, conditions: [cond('Provisioned')] },
        'agent',
        undefined,
        mine,
      ),
    ).toBeUndefined();
    expect(api.calls).toEqual([]);

    // Its own condition changed: sent, and the manager's are kept.
    await applyStatus<Status, Note>(
      client,
      current(),
      { size: 5, conditions: [cond('Provisioned', 'False')] },
      'agent',
      undefined,
      mine,
    );
    expect(api.writes()).toHaveLength(1);
    expect(current().status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      'Provisioned=False',
      'Ready=True',
      'Scheduled=True',
    ]);
    expect(current().status).toMatchObject({ phase: 'Ready', size: 5 });
  });

  it('sends a field it owns and no longer has, so the server removes it', async () => {
    const { client, current } = setup();
    const mine = { fields: ['size', 'path'] };
    await applyStatus<Status, Note>(
      client,
      current(),
      { size: 5, path: '/a' },
      'agent',
      undefined,
      mine,
    );
    await applyStatus<Status, Note>(client, current(), { size: 5 }, 'agent', undefined, mine);
    expect(current().status).toEqual({ size: 5 });
  });

  it('turns a field another manager holds into a StatusConflictError naming it, and writes nothing', async () => {
    const { client, current } = setup();
    await applyStatus<Status, Note>(client, current(), { phase: 'Held' }, 'kubectl-edit');

    const err = await applyStatus<Status, Note>(
      client,
      current(),
      { phase: 'Ready', size: 5 },
      'ctrl',
    ).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(StatusConflictError);
    expect(err).toBeInstanceOf(ReconcileError);
    expect(err).toMatchObject({
      reason: 'StatusConflict',
      retry: true,
      managers: ['kubectl-edit'],
      fields: ['.status.phase'],
    });
    expect((err as Error).message).toBe(
      'status fields .status.phase are owned by field manager "kubectl-edit"; ctrl does not take them over: stop that writer or remove its fields',
    );
    expect(current().status).toEqual({ phase: 'Held' });
  });

  it('reads the managers of a conflict from the API server’s causes', async () => {
    const { api, client, current } = setup();
    // What kube-apiserver answers: one cause per field, the manager in its message.
    api.failNext(
      { verb: 'PATCH' },
      {
        code: 409,
        reason: 'Conflict',
        message:
          'Apply failed with 2 conflicts: conflicts with "other" using example.kcloud.io/v1alpha1:\n- .status.phase\n- .status.conditions[type="Ready"].status',
      },
    );
    const err = await applyStatus<Status, Note>(client, current(), { phase: 'Ready' }, 'ctrl').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ reason: 'StatusConflict', managers: ['other'] });

    const body = {
      kind: 'Status' as const,
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "host-agent": .status.size',
      details: {
        causes: [
          {
            message: 'conflict with "host-agent" with subresource "status"',
            field: '.status.size',
          },
        ],
      },
    };
    api.failNext({ verb: 'PATCH' }, new ApiError(409, body, 'PATCH'));
    const again = await applyStatus<Status, Note>(client, current(), { size: 1 }, 'ctrl').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(again).toMatchObject({ managers: ['host-agent'], fields: ['.status.size'] });
  });
});
