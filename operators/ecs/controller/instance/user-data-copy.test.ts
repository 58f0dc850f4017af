import { describe, expect, it } from '@jest/globals';
import { ObjectClient } from '../../../../controllers/kube/index.ts';
import { RecordingApi } from '../../../../controllers/testing/index.ts';
import type { InstanceObject } from '../../api/index.ts';
import { secretResource, type SecretObject } from '../host-secret-copy.ts';
import { planUserData } from './user-data-copy.ts';

const signal = new AbortController().signal;
const hostLabel = 'ecs.kcloud.io/host';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const userData = '#cloud-config\nruncmd:\n  - echo hi\n';

function setup(
  o: {
    ref?: { name: string; key?: string } | null;
    secret?: Record<string, string>;
    copy?: { host: string; data: string };
  } = {},
) {
  const api = new RecordingApi();
  const secrets = new ObjectClient<SecretObject>(api, secretResource);
  const instance = {
    apiVersion: 'ecs.kcloud.io/v1alpha1',
    kind: 'Instance',
    metadata: { namespace: 't1', name: 'web-1', uid: 'uid-web-1' },
    spec: {
      imageRef: { name: 'img' },
      ...(o.ref === null ? {} : { userDataSecretRef: o.ref ?? { name: 'ud' } }),
    },
  } as InstanceObject;
  if (o.secret) {
    api.seed(secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { namespace: 't1', name: 'ud' },
      data: o.secret,
    });
  }
  if (o.copy) {
    api.seed(secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        namespace: 'hosts',
        name: 'ecs-userdata-uid-web-1',
        labels: { [hostLabel]: o.copy.host },
      },
      data: { userData: o.copy.data },
    });
  }
  return {
    api,
    plan: (copyMayExist = true) =>
      planUserData(secrets, instance, 'h1', 'hosts', signal, copyMayExist),
  };
}

describe('planUserData', () => {
  it('reads nothing for an instance without userDataSecretRef', async () => {
    const s = setup({ ref: null });
    expect(await s.plan()).toEqual({});
    expect(s.api.calls).toEqual([]);
  });

  it('copies the key for the host, under the name the agent reads', async () => {
    const p = await setup({ secret: { userData: b64(userData) } }).plan();
    expect(p).toMatchObject({
      copy: {
        metadata: {
          namespace: 'hosts',
          name: 'ecs-userdata-uid-web-1',
          labels: { [hostLabel]: 'h1' },
        },
        immutable: true,
        data: { userData: b64(userData) },
      },
    });
  });

  it('reads the key the reference names, and writes nothing when the copy holds it', async () => {
    const s = setup({
      ref: { name: 'ud', key: 'cloud-init' },
      secret: { 'cloud-init': b64(userData) },
      copy: { host: 'h1', data: b64(userData) },
    });
    expect(await s.plan()).toEqual({});
    const moved = setup({
      secret: { userData: b64(userData) },
      copy: { host: 'h2', data: b64(userData) },
    });
    expect(await moved.plan()).toMatchObject({
      copy: { metadata: { labels: { [hostLabel]: 'h1' } } },
    });
  });

  it('for an instance never bound, reads no copy and writes one', async () => {
    const s = setup({
      secret: { userData: b64(userData) },
      copy: { host: 'h1', data: b64(userData) },
    });
    expect(await s.plan(false)).toMatchObject({ copy: { data: { userData: b64(userData) } } });
    expect(s.api.calls.filter((c) => c.path.includes('/namespaces/hosts/'))).toEqual([]);
  });

  it('waits, saying what to do, for a missing Secret or key', async () => {
    expect(await setup().plan()).toMatchObject({
      wait: { reason: 'UserDataSecretNotFound', message: expect.stringContaining('Secret ud') },
    });
    expect(await setup({ secret: { other: b64('x') } }).plan()).toMatchObject({
      wait: { reason: 'UserDataKeyNotFound', message: expect.stringMatching(/no key userData/) },
    });
  });
});
