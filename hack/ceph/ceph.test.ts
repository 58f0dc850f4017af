import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { cephUp } from './ceph.ts';
import { cephLayout } from './layout.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('cephUp refuses what it cannot run', () => {
  it('a run folder too deep for the admin sockets it asks whether the daemons are ready', async () => {
    const deep = path.join(os.tmpdir(), 'x'.repeat(100));
    await expect(cephUp(cephLayout(deep))).rejects.toThrow(/too deep: its admin sockets/);
  });

  it('a run folder with a monitor but no record of its fsid and ports', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-ceph-'));
    dirs.push(dir);
    const layout = cephLayout(dir);
    await mkdir(layout.monData, { recursive: true });
    await writeFile(layout.adminKeyring, '[client.admin]\n');
    await expect(cephUp(layout)).rejects.toThrow(/holds a Ceph monitor but no .*purge/);
  });
});
