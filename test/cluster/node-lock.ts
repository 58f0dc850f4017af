import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasExited, repoRoot } from '../../hack/cluster/index.ts';

// One local node per machine: its interface, node IP and kube-proxy table are machine-wide
// names. Test files that need a node take turns through this lock; a holder that died
// (its PID is gone) leaves a stale lock that the next one removes.
const lockFile = path.join(repoRoot, '.local', 'test-runs', 'node.lock');

export async function acquireNodeLock(timeoutMs = 30 * 60_000): Promise<void> {
  await mkdir(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await open(lockFile, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(await readFile(lockFile, 'utf8').catch(() => ''));
    if (Number.isInteger(holder) && holder > 0 && hasExited(holder)) {
      await rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`the local node is still held by pid ${String(holder)} (${lockFile})`);
    }
    await sleep(1_000);
  }
}

export async function releaseNodeLock(): Promise<void> {
  const holder = await readFile(lockFile, 'utf8').catch(() => '');
  if (holder === String(process.pid)) await rm(lockFile, { force: true });
}
