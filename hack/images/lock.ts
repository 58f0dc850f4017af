// Builds into the same folder (make images, the cluster tests, make demo-cluster) or from the
// same cache take turns. A holder that died leaves a stale lock the next one removes.
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasExited } from '../cluster/processes.ts';

export async function withLock<T>(
  lockFile: string,
  fn: () => Promise<T>,
  onWait: (holder: number) => void = () => undefined,
  timeoutMs = 60 * 60_000,
): Promise<T> {
  await mkdir(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      const fh = await open(lockFile, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(await readFile(lockFile, 'utf8').catch(() => ''));
    if (Number.isInteger(holder) && holder > 0 && hasExited(holder)) {
      await rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`${lockFile} is still held by pid ${String(holder)}`);
    }
    if (!told && holder > 0) {
      onWait(holder);
      told = true;
    }
    await sleep(1_000);
  }
  try {
    return await fn();
  } finally {
    const holder = await readFile(lockFile, 'utf8').catch(() => '');
    if (holder === String(process.pid)) await rm(lockFile, { force: true });
  }
}
