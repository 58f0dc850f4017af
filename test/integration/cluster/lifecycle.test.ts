// hack/cluster: `up` is idempotent, recovers from a crash by cleaning stale PIDs, restarts one
// component on the same port and data, and `down` stops exactly the processes it recorded.
// This file starts a second control plane of its own, beside the one the other tests share.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import {
  down,
  readState,
  repoRoot,
  residentBytes,
  runLayout,
  serverVersion,
  startComponent,
  status,
  stopComponent,
  up,
} from '../../../hack/cluster/index.ts';
import { waitFor } from '../../harness/index.ts';

const base = path.join(repoRoot, '.local', 'test-runs');
let runDir = '';
const layout = () => runLayout(runDir);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function core(): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(layout().kubeconfig);
  return kc.makeApiClient(CoreV1Api);
}

afterAll(async () => {
  if (runDir) {
    await down(layout(), { purge: true });
    await rm(runDir, { recursive: true, force: true });
  }
});

describe('the local control plane lifecycle', () => {
  it('starts, and a second up starts nothing', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(base, { recursive: true });
    runDir = await mkdtemp(path.join(base, 'lifecycle-'));
    const first = await up(layout(), { unsafeNoFsync: true });
    expect(first.started).toBe(true);
    expect(first.processes.map((p) => p.name).sort()).toEqual([
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
    ]);
    for (const p of first.processes) {
      const mib = residentBytes(p.pid) / 2 ** 20;
      console.log(`${p.name}: ${mib.toFixed(0)} MiB resident after start`);
      expect(mib).toBeGreaterThan(0);
    }
    expect((await serverVersion(layout())).gitVersion).toMatch(/^v1\.\d+\.\d+$/);

    const again = await up(layout(), { unsafeNoFsync: true });
    expect(again.started).toBe(false);
    expect(again.processes.map((p) => p.pid).sort()).toEqual(
      first.processes.map((p) => p.pid).sort(),
    );
  });

  it('recovers from a crashed API server: stale PIDs are cleaned and data survives', async () => {
    await core().createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'survivor' }, data: { k: 'v' } },
    });
    const before = (await readState(layout()))?.processes ?? [];
    const apiserver = before.find((p) => p.name === 'kube-apiserver');
    expect(apiserver).toBeDefined();
    process.kill(apiserver?.pid ?? 0, 'SIGKILL');
    await waitFor(async () => !(await status(layout())).ready, {
      what: 'the cluster to be not ready',
    });

    const info = await up(layout());
    expect(info.started).toBe(true);
    for (const old of before) expect(alive(old.pid)).toBe(false);
    for (const p of info.processes) expect(alive(p.pid)).toBe(true);
    const cm = await core().readNamespacedConfigMap({ name: 'survivor', namespace: 'default' });
    expect(cm.data).toEqual({ k: 'v' });
  });

  it('restarts one component on the same port and data', async () => {
    const server = (await readState(layout()))?.ports.apiserver;
    await stopComponent(layout(), 'kube-apiserver');
    const err = await core()
      .readNamespacedConfigMap({ name: 'survivor', namespace: 'default' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(String(err)).toMatch(/ECONNREFUSED|fetch failed/);

    await startComponent(layout(), 'kube-apiserver');
    expect((await readState(layout()))?.ports.apiserver).toBe(server);
    const cm = await core().readNamespacedConfigMap({ name: 'survivor', namespace: 'default' });
    expect(cm.data).toEqual({ k: 'v' });
  });

  it('down stops exactly the recorded processes', async () => {
    // An unrelated process of the same user must survive `down`.
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const recorded = (await readState(layout()))?.processes ?? [];
      expect(recorded).toHaveLength(3);
      await down(layout());
      for (const p of recorded) expect(alive(p.pid)).toBe(false);
      expect(alive(bystander.pid ?? 0)).toBe(true);
      expect((await readState(layout()))?.processes).toEqual([]);
      expect((await status(layout())).ready).toBe(false);
    } finally {
      bystander.kill();
    }
  });
});
