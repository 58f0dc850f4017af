import { describe, expect, it } from '@jest/globals';
import { ReconcileError } from '../../../../controllers/external/index.ts';
import { refuse, type Decision } from '../../../../controllers/host/index.ts';
import { ObjectClient } from '../../../../controllers/kube/index.ts';
import { RecordingApi } from '../../../../controllers/testing/index.ts';
import {
  InstanceOperation,
  type InstanceOperationObject,
  type InstanceOperationSpec,
} from '../../api/index.ts';
import { operationClient } from './operation-client.ts';
import type { OperationPlacement } from './operation-decision.ts';
import { secretResource, type SecretObject } from './password-copy.ts';

const signal = new AbortController().signal;
const hostLabel = 'ecs.kcloud.io/host';
const resetPassword: Partial<InstanceOperationSpec> = {
  action: 'reset-password',
  resetPassword: { username: 'root', passwordSecretRef: { name: 'pw', key: 'pw' } },
};

function setup(
  o: {
    spec?: Partial<InstanceOperationSpec>;
    decision?: Decision<OperationPlacement>;
    bound?: string;
    status?: InstanceOperationObject['status'];
    tenantSecret?: boolean;
    copy?: boolean;
    ready?: boolean;
  } = {},
) {
  const api = new RecordingApi();
  const operations = new ObjectClient<InstanceOperationObject>(api, InstanceOperation.resource);
  const secrets = new ObjectClient<SecretObject>(api, secretResource);
  const op = api.seed(operations, {
    apiVersion: 'ecs.kcloud.io/v1alpha1',
    kind: 'InstanceOperation',
    metadata: {
      namespace: 't1',
      name: 'op',
      uid: 'uid-op',
      ...(o.bound !== undefined
        ? { labels: { [hostLabel]: o.bound }, finalizers: ['ecs.kcloud.io/cleanup'] }
        : {}),
    },
    spec: { instanceRef: { name: 'web-1' }, action: 'reboot', ...o.spec },
    ...(o.status ? { status: o.status } : {}),
  });
  if (o.tenantSecret !== false) {
    api.seed(secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { namespace: 't1', name: 'pw' },
      data: { pw: Buffer.from('s3cret').toString('base64') },
    });
  }
  if (o.copy) {
    api.seed(secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { namespace: 'hosts', name: 'ecsop-uid-op', labels: { [hostLabel]: 'h1' } },
      data: { password: 'x' },
    });
  }
  const decision = o.decision ?? { bind: 'h1', status: { instanceUID: 'uid-web-1' } };
  const external = operationClient(op, {
    operations,
    secrets,
    hostsNamespace: 'hosts',
    decide: () => decision,
    hostReady: () => o.ready ?? true,
    finalizer: 'ecs.kcloud.io/cleanup',
  });
  const writes = () => api.writes().map((c) => `${c.verb} ${c.path}`);
  const copy = () => api.peek(secrets, 'hosts', 'ecsop-uid-op');
  return { api, op, external, writes, copy };
}

describe('the manager’s client of an InstanceOperation', () => {
  it('binds a reboot with one write and no finalizer: it leaves nothing to clean up', async () => {
    const s = setup();
    expect(await s.external.observe(s.op, signal)).toMatchObject({ exists: false });
    await s.external.create(s.op, signal);
    expect(s.api.writes()).toHaveLength(1);
    expect(s.api.writes()[0]?.body).toEqual({ metadata: { labels: { [hostLabel]: 'h1' } } });
    expect(s.api.calls.some((c) => c.path.includes('/secrets'))).toBe(false);
  });

  it('says what a lost host means for an operation bound there', async () => {
    const s = setup({ bound: 'h1', ready: false });
    expect(await s.external.observe(s.op, signal)).toMatchObject({
      unreachable: {
        reason: 'HostUnreachable',
        message:
          'host h1 lost its heartbeat: the operation runs when its agent is back, unless its instance moves elsewhere first',
      },
    });
  });

  it('copies a reset-password’s password to the hosts namespace before it binds', async () => {
    const s = setup({ spec: resetPassword });
    expect(await s.external.observe(s.op, signal)).toMatchObject({ upToDate: false });
    await s.external.create(s.op, signal);
    expect(s.writes()).toEqual([
      'POST /api/v1/namespaces/hosts/secrets',
      'PATCH /apis/ecs.kcloud.io/v1alpha1/namespaces/t1/instanceoperations/op',
    ]);
    expect(s.copy()).toMatchObject({
      metadata: {
        labels: { [hostLabel]: 'h1', 'ecs.kcloud.io/operation-uid': 'uid-op' },
      },
      immutable: true,
      data: { password: Buffer.from('s3cret').toString('base64') },
    });
    expect(s.api.writes()[1]?.body).toMatchObject({
      metadata: { labels: { [hostLabel]: 'h1' }, finalizers: ['ecs.kcloud.io/cleanup'] },
    });
    expect(await s.external.observe(s.op, signal)).toMatchObject({
      exists: true,
      upToDate: true,
    });
  });

  it('waits for the tenant’s Secret without binding', async () => {
    const s = setup({ spec: resetPassword, tenantSecret: false });
    expect(await s.external.observe(s.op, signal)).toMatchObject({
      inProgress: { reason: 'PasswordSecretNotFound' },
    });
    expect(s.writes()).toEqual([]);
  });

  it('deletes the copy once the operation has ended, and when it is refused', async () => {
    const ended = setup({
      spec: resetPassword,
      bound: 'h1',
      copy: true,
      status: { completionTime: '2026-01-01T00:00:00Z' },
    });
    expect(await ended.external.observe(ended.op, signal)).toMatchObject({ upToDate: false });
    await ended.external.update(ended.op, { exists: true, upToDate: false }, signal);
    expect(ended.writes()).toEqual(['DELETE /api/v1/namespaces/hosts/secrets/ecsop-uid-op']);
    expect(ended.copy()).toBeUndefined();
    expect(await ended.external.observe(ended.op, signal)).toMatchObject({ upToDate: true });

    const moved = setup({
      spec: resetPassword,
      bound: 'h1',
      copy: true,
      decision: refuse('InstanceMoved', 'moved', false),
    });
    expect(await moved.external.observe(moved.op, signal)).toMatchObject({ upToDate: false });
    await moved.external.update(moved.op, { exists: true, upToDate: false }, signal);
    expect(moved.copy()).toBeUndefined();
    await expect(moved.external.observe(moved.op, signal)).rejects.toThrow(ReconcileError);
    expect(moved.writes()).toEqual(['DELETE /api/v1/namespaces/hosts/secrets/ecsop-uid-op']);
  });

  it('deletes the copy with the operation', async () => {
    const s = setup({ spec: resetPassword, bound: 'h1', copy: true });
    const deleting = { ...s.op, metadata: { ...s.op.metadata, deletionTimestamp: 'now' } };
    expect(await s.external.observe(deleting, signal)).toMatchObject({ exists: true });
    await s.external.delete(deleting, signal);
    expect(await s.external.observe(deleting, signal)).toMatchObject({ exists: false });
    expect(s.copy()).toBeUndefined();
  });
});
