// Two kcloud-manager replicas as real processes with leader election on a Lease: only the
// leader reconciles; when it crashes the other takes over once the lease expires and keeps
// reconciling; a clean stop hands the lease over at once.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Lease } from '@kubernetes/client-node';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { freePort } from '../../../hack/cluster/index.ts';
import {
  readyz,
  spawnManager,
  stopIfRunning,
  tempDir,
  useTestCluster,
  waitFor,
  type ManagerProcess,
} from '../../harness/index.ts';

const cluster = useTestCluster('rt-failover');
const apiVersion = 'example.kcloud.io/v1alpha1';
const leaseName = 'kcloud-manager';
const replicas: ManagerProcess[] = [];
let work: { dir: string; cleanup: () => Promise<void> };

async function start(identity: string): Promise<ManagerProcess> {
  const p = spawnManager(
    [
      `--kubeconfig=${cluster.kubeconfigPath}`,
      '--operators=example',
      `--namespace=${cluster.namespace}`,
      `--leader-election-namespace=${cluster.namespace}`,
      `--leader-election-id=${leaseName}`,
      '--lease-duration=4s',
      '--renew-deadline=3s',
      '--retry-period=500ms',
      `--notes-dir=${path.join(work.dir, 'notes')}`,
      '--log-level=debug',
    ],
    identity,
    await freePort(),
    work.dir,
  );
  replicas.push(p);
  return p;
}

async function lease(): Promise<V1Lease | undefined> {
  try {
    return await cluster.kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: leaseName, namespace: cluster.namespace });
  } catch {
    return undefined;
  }
}

async function holderAmong(ids: string[]): Promise<string> {
  return waitFor(
    async () => {
      const h = (await lease())?.spec?.holderIdentity;
      return h && ids.includes(h) ? h : undefined;
    },
    {
      timeoutMs: 60_000,
      what: `one of ${ids.join(', ')} to hold the lease`,
      describe: async () => JSON.stringify((await lease())?.spec),
    },
  );
}

async function noteReady(name: string): Promise<string> {
  await cluster.apply(`apiVersion: ${apiVersion}
kind: Note
metadata: {name: ${name}}
spec: {text: "written by the leader"}
`);
  await cluster.waitForCondition({ apiVersion, kind: 'Note', name }, 'Ready', 'True', 90_000);
  return readFile(path.join(work.dir, 'notes', cluster.namespace, name), 'utf8');
}

function byId(id: string): ManagerProcess {
  const p = replicas.find((r) => r.identity === id);
  if (!p) throw new Error(`no replica ${id}`);
  return p;
}

beforeAll(async () => {
  work = await tempDir('failover');
});

afterAll(async () => {
  for (const r of replicas) await stopIfRunning(r);
  await work.cleanup();
});

describe('two manager replicas', () => {
  it('elect one leader; both report ready; the leader reconciles', async () => {
    await start('replica-a');
    await start('replica-b');
    const leader = await holderAmong(['replica-a', 'replica-b']);
    for (const r of replicas) {
      await waitFor(() => readyz(r.healthAddr), {
        timeoutMs: 60_000,
        what: `${r.identity} /readyz`,
      });
    }
    expect(await noteReady('one')).toBe('written by the leader');
    // Only the leader's controller ran: the follower's log has no reconcile of it.
    const follower = replicas.find((r) => r.identity !== leader);
    expect(await readFile(follower?.logFile ?? '', 'utf8')).not.toContain(
      'backend resource created',
    );
    expect(await readFile(byId(leader).logFile, 'utf8')).toContain('backend resource created');
  });

  it('fail over to the other replica when the leader crashes', async () => {
    const before = await lease();
    const crashed = before?.spec?.holderIdentity ?? '';
    const survivor = crashed === 'replica-a' ? 'replica-b' : 'replica-a';
    await stopIfRunning(byId(crashed), 'SIGKILL');
    expect(await holderAmong([survivor])).toBe(survivor);
    const after = await lease();
    expect(after?.spec?.leaseTransitions).toBe((before?.spec?.leaseTransitions ?? 0) + 1);
    expect(await noteReady('two')).toBe('written by the leader');
    expect(await readFile(byId(survivor).logFile, 'utf8')).toContain('backend resource created');
  });

  it('hand the lease over on a clean stop, and the successor keeps reconciling', async () => {
    const current = (await lease())?.spec?.holderIdentity ?? '';
    await start('replica-c');
    await waitFor(() => readyz(byId('replica-c').healthAddr), {
      timeoutMs: 60_000,
      what: 'replica-c /readyz',
    });
    byId(current).child.kill('SIGTERM');
    expect(await byId(current).exited).toBe(0);
    expect(await readFile(byId(current).logFile, 'utf8')).toContain('released leader lease');
    expect(await holderAmong(['replica-c'])).toBe('replica-c');
    expect(await noteReady('three')).toBe('written by the leader');
  });
});
