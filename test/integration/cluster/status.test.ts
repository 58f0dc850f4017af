// make status on real processes: the control plane the integration run started is listed with
// its PIDs, addresses and states, and a component that is gone is reported down.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { readState, runLayout } from '../../../hack/cluster/index.ts';
import { controlPlaneGroup, formatStatus } from '../../../hack/demo/status.ts';

function runDir(): string {
  const dir = process.env.KCLOUD_TEST_RUN_DIR;
  if (!dir) {
    throw new Error(
      'this test reads the control plane the integration run starts itself; a run against KCLOUD_TEST_KUBECONFIG has none',
    );
  }
  return dir;
}

describe('make status', () => {
  it('lists the running control plane with PIDs, addresses and ready', async () => {
    const layout = runLayout(runDir());
    const state = await readState(layout);
    const group = await controlPlaneGroup(layout);
    expect(group.rows.map((r) => r.name)).toEqual([
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
    ]);
    for (const row of group.rows) {
      expect(row.state).toBe('ready');
      expect(row.pid).toBe(state?.processes.find((p) => p.name === row.name)?.pid);
    }
    const server = /server: (\S+)/.exec(readFileSync(layout.kubeconfig, 'utf8'))?.[1];
    expect(group.rows.find((r) => r.name === 'kube-apiserver')?.address).toBe(server);
    expect(formatStatus([group]).join('\n')).toMatch(
      /^ {2}kube-apiserver +pid \d+ +ready {2}https:\/\/127\.0\.0\.1:\d+$/m,
    );
  });

  it('reports a recorded process that no longer runs as down', async () => {
    const layout = runLayout(runDir());
    const state = await readState(layout);
    // The same state in a folder of its own, with etcd's PID recorded as another program: to
    // status, a PID that no longer runs the recorded binary is gone.
    const dir = await mkdtemp(`${layout.runDir}-status-`);
    try {
      const copy = {
        ...state,
        processes: (state?.processes ?? []).map((p) =>
          p.name === 'etcd' ? { ...p, binary: '/nonexistent/etcd' } : p,
        ),
      };
      await writeFile(path.join(dir, 'state.json'), JSON.stringify(copy));
      const rows = (await controlPlaneGroup(runLayout(dir))).rows;
      expect(rows.find((r) => r.name === 'etcd')).toMatchObject({ state: 'down' });
      expect(rows.find((r) => r.name === 'kube-apiserver')?.state).not.toBe('down');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
