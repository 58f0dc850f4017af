// make demo MANAGER_FLAGS='...': the flags reach the real kcloud-manager process the demo
// starts, the demo waits until that manager holds its leader Lease, a second run with the same
// flags keeps it, and other flags restart it (and the new one takes the Lease over).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { splitFlags } from '../../../hack/demo/flags.ts';
import { waitLeader } from '../../../hack/demo/samples.ts';
import { startServices, stopServices, type ServiceProcess } from '../../../hack/demo/services.ts';
import { tempDir, useTestCluster } from '../../harness/index.ts';

const cluster = useTestCluster('demo-flags');
let work: { dir: string; cleanup: () => Promise<void> };
const log = () => undefined;

beforeAll(async () => {
  work = await tempDir('demo-flags');
});

afterAll(async () => {
  await stopServices(log, work.dir);
  await work.cleanup();
});

function argv(pid: number): string[] {
  return readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8').split('\0');
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2).charAt(0));
  } catch {
    return false;
  }
}

describe('MANAGER_FLAGS', () => {
  it('reach the manager, which the demo waits for on its Lease; other flags restart it', async () => {
    const ns = cluster.namespace;
    // What a user would write, confined to this test's namespace and its own Lease.
    const managerFlags = (resync: string) =>
      splitFlags(
        `--resync-period=${resync} --operators=example --namespace=${ns} ` +
          `--leader-election-namespace=${ns} --leader-election-id=demo-flags ` +
          `--notes-dir='${path.join(work.dir, 'notes')}'`,
      );
    const start = async (resync: string): Promise<ServiceProcess> => {
      const [manager] = await startServices(
        cluster.kubeconfigPath,
        log,
        {},
        { 'kcloud-manager': managerFlags(resync) },
        { dir: work.dir, names: ['kcloud-manager'] },
      );
      if (!manager?.lease) throw new Error('the demo started no manager with a Lease to wait for');
      await waitLeader(cluster.kubeconfigPath, manager.lease);
      return manager;
    };

    const first = await start('30s');
    expect(argv(first.pid)).toEqual(expect.arrayContaining(['--resync-period=30s']));
    expect(first.lease).toEqual({
      namespace: ns,
      name: 'demo-flags',
      identity: expect.stringMatching(/_demo_[0-9a-f]{8}$/) as unknown,
    });
    expect(argv(first.pid)).toContain(`--identity=${first.lease?.identity ?? ''}`);

    const same = await start('30s');
    expect(same.pid).toBe(first.pid);

    const changed = await start('45s');
    expect(changed.pid).not.toBe(first.pid);
    expect(alive(first.pid)).toBe(false);
    expect(argv(changed.pid)).toEqual(expect.arrayContaining(['--resync-period=45s']));
    expect(changed.lease?.identity).not.toBe(first.lease?.identity);
  });
});
