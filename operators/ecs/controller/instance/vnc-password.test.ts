import { describe, expect, it } from '@jest/globals';
import { ObjectClient } from '../../../../controllers/kube/index.ts';
import { RecordingApi } from '../../../../controllers/testing/index.ts';
import type { InstanceObject } from '../../api/index.ts';
import { secretResource, type SecretObject } from '../host-secret-copy.ts';
import { generateVncPassword, planVncPassword } from './vnc-password.ts';

const signal = new AbortController().signal;
const hostLabel = 'ecs.kcloud.io/host';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const instance = {
  apiVersion: 'ecs.kcloud.io/v1alpha1',
  kind: 'Instance',
  metadata: { namespace: 't1', name: 'web-1', uid: 'uid-web-1' },
  spec: { imageRef: { name: 'img' } },
} as InstanceObject;

function setup(o: { password?: string | null; copy?: { host: string; password: string } } = {}) {
  const api = new RecordingApi();
  const secrets = new ObjectClient<SecretObject>(api, secretResource);
  if (o.password !== undefined) {
    api.seed(secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { namespace: 't1', name: 'web-1-vnc' },
      data: o.password === null ? {} : { password: b64(o.password) },
    });
  }
  if (o.copy) {
    api.seed(secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        namespace: 'hosts',
        name: 'ecs-vnc-uid-web-1',
        labels: { [hostLabel]: o.copy.host },
      },
      data: { password: b64(o.copy.password) },
    });
  }
  const plan = (copyMayExist = true) =>
    planVncPassword(secrets, instance, 'h1', 'hosts', signal, copyMayExist);
  return { api, plan };
}

describe('generateVncPassword', () => {
  it('gives 8 printable ASCII characters, different each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const p = generateVncPassword();
      expect(p).toMatch(/^[\x21-\x7e]{8}$/);
      seen.add(p);
    }
    expect(seen.size).toBe(50);
  });
});

describe('planVncPassword', () => {
  it('makes the Secret, owned by the instance, and its copy for the host', async () => {
    const p = await setup().plan();
    if ('wait' in p) throw new Error('waits');
    expect(p.create?.metadata).toMatchObject({
      namespace: 't1',
      name: 'web-1-vnc',
      ownerReferences: [{ kind: 'Instance', name: 'web-1', uid: 'uid-web-1', controller: true }],
    });
    const made = Buffer.from(p.create?.data?.password ?? '', 'base64').toString();
    expect(made).toMatch(/^[\x21-\x7e]{8}$/);
    expect(p.copy).toMatchObject({
      metadata: { namespace: 'hosts', name: 'ecs-vnc-uid-web-1', labels: { [hostLabel]: 'h1' } },
      immutable: true,
      data: { password: b64(made) },
    });
  });

  it('writes nothing when the copy for this host holds the password', async () => {
    expect(await setup({ password: 'pw', copy: { host: 'h1', password: 'pw' } }).plan()).toEqual(
      {},
    );
  });

  it('copies a password its owner changed, and again for a new host', async () => {
    const changed = await setup({ password: 'new', copy: { host: 'h1', password: 'old' } }).plan();
    expect(changed).toMatchObject({ copy: { data: { password: b64('new') } } });
    expect(changed).not.toHaveProperty('create');
    const moved = await setup({ password: 'pw', copy: { host: 'h2', password: 'pw' } }).plan();
    expect(moved).toMatchObject({ copy: { metadata: { labels: { [hostLabel]: 'h1' } } } });
  });

  it('for an instance never bound, reads no copy and writes one', async () => {
    const s = setup({ password: 'pw', copy: { host: 'h1', password: 'pw' } });
    const p = await s.plan(false);
    expect(p).toMatchObject({ copy: { data: { password: b64('pw') } } });
    expect(s.api.calls.map((c) => `${c.verb} ${c.path}`)).toEqual([
      'GET /api/v1/namespaces/t1/secrets/web-1-vnc',
    ]);
  });

  it('waits, saying what to do, for a password VNC cannot use or a Secret without one', async () => {
    for (const bad of ['123456789', 'pässwort', '']) {
      expect(await setup({ password: bad }).plan()).toMatchObject({
        wait: { reason: 'VncPasswordInvalid', message: expect.stringMatching(/delete the Secret/) },
      });
    }
    expect(await setup({ password: null }).plan()).toMatchObject({
      wait: { reason: 'VncPasswordInvalid', message: expect.stringMatching(/no key password/) },
    });
  });
});
