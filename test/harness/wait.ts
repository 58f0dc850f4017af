import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What is awaited, for the timeout message. */
  what: string;
  /** Called on timeout to describe the last observed state (e.g. the object's status). */
  describe?: () => Promise<string> | string;
}

/**
 * Polls `probe` until it returns a value other than undefined/false. Errors thrown by the probe
 * are remembered and reported on timeout rather than aborting the wait, since a resource that
 * does not exist yet is a normal intermediate state.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  opts: WaitOptions,
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(opts.intervalMs ?? 100);
  }
  let detail = '';
  if (opts.describe) {
    try {
      detail = `\nlast observed:\n${await opts.describe()}`;
    } catch (err) {
      detail = `\n(could not describe: ${String(err)})`;
    }
  }
  const why = lastError ? `\nlast error: ${describeError(lastError)}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what}${why}${detail}`);
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  try {
    return JSON.stringify(err);
  } catch {
    return typeof err;
  }
}
