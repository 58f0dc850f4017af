import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { cephLayout } from '../ceph/index.ts';
import { writeState } from '../ceph/state.ts';
import { cephGroups } from './status.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function layoutWith(processes: { name: string; pid: number }[] | undefined) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-status-ceph-'));
  dirs.push(dir);
  const layout = cephLayout(dir);
  if (processes) {
    await writeState(layout, {
      fsid: 'f',
      ports: { v2: 41001, v1: 41002 },
      osd: { uuid: 'u', key: 'k' },
      processes: processes.map((p) => ({
        ...p,
        binary: `/usr/bin/${p.name}`,
        startedAt: '2026-01-01T00:00:00Z',
      })),
    });
  }
  return layout;
}

describe('the local Ceph in make status', () => {
  it('is left out while none was started, or after it was stopped', async () => {
    expect(await cephGroups(await layoutWith(undefined))).toEqual([]);
    expect(await cephGroups(await layoutWith([]))).toEqual([]);
  });

  it('shows each recorded daemon that died as down, with the monitor address', async () => {
    // PIDs beyond pid_max: never a live process.
    const layout = await layoutWith([
      { name: 'ceph-mon', pid: 2 ** 22 + 1 },
      { name: 'ceph-mgr', pid: 2 ** 22 + 2 },
    ]);
    const [group] = await cephGroups(layout);
    expect(group?.rows).toEqual([
      {
        name: 'ceph-mon',
        pid: 2 ** 22 + 1,
        address: '[v2:127.0.0.1:41001,v1:127.0.0.1:41002]',
        state: 'down',
      },
      { name: 'ceph-mgr', pid: 2 ** 22 + 2, address: '', state: 'down' },
      { name: 'ceph-osd', address: '', state: 'not started' },
    ]);
  });
});
