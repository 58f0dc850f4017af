// A lock file holding its holder's PID, for work that must take turns across processes (image
// builds into one folder, the one local node a machine can have). A holder that died leaves a
// stale lock that the next one removes.
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasExited } from './processes.ts';

export interface LockOptions {
  timeoutMs?: number;
  /** Called once when another live process holds the lock. */
  onWait?: (holder: number) => void;
}

export async function acquirePidLock(lockFile: string, opts: LockOptions = {}): Promise<void> {
  await mkdir(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + (opts.timeoutMs ?? 60 * 60_000);
  let told = false;
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
      throw new Error(`${lockFile} is still held by pid ${String(holder)}`);
    }
    if (!told && holder > 0) {
      opts.onWait?.(holder);
      told = true;
    }
    await sleep(1_000);
  }
}

/** Removes the lock if this process holds it. */
export async function releasePidLock(lockFile: string): Promise<void> {
  const holder = await readFile(lockFile, 'utf8').catch(() => '');
  if (holder === String(process.pid)) await rm(lockFile, { force: true });
}

export async function withPidLock<T>(
  lockFile: string,
  fn: () => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  await acquirePidLock(lockFile, opts);
  try {
    return await fn();
  } finally {
    await releasePidLock(lockFile);
  }
}
