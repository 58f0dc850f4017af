// When a guest first answers ping: one `ping` in the probe's namespace, sending every 100 ms
// from the moment it starts and exiting at the first echo reply. One process rather than a
// ping per poll: the resolution is the interval, not a process start.
import type { Clock } from '../../controllers/clock/index.ts';
import type { Guest } from '../../hack/ovn/index.ts';

export const pingIntervalMs = 100;

export interface FirstReplyOptions {
  clock: Clock;
  timeoutMs: number;
  /**
   * Keep what the probe's ARP cache holds for `ip`. By default the probe forgets it first: an
   * address freed by a deleted instance is handed to the next one with another MAC, and a
   * cache still holding the old MAC sends the pings nowhere until the kernel asks again
   * (seconds to a minute); a fresh client, what the bench stands for, has no such entry.
   */
  keepNeighbour?: boolean;
}

/** Resolves with the clock's time of the first reply from `ip`; rejects after `timeoutMs`. */
export async function firstReply(
  probe: Guest,
  ip: string,
  opts: FirstReplyOptions,
): Promise<number> {
  if (opts.keepNeighbour !== true) {
    const flushed = await probe.exec(['ip', 'neigh', 'flush', 'to', ip]);
    if (flushed.code !== 0) throw new Error(`ip neigh flush to ${ip}: ${flushed.stderr.trim()}`);
  }
  const seconds = Math.ceil(opts.timeoutMs / 1000);
  // -c 1 with -w: keep sending until one reply, or the deadline.
  const child = probe.spawn([
    'ping',
    '-n',
    '-q',
    '-c',
    '1',
    '-i',
    String(pingIntervalMs / 1000),
    '-w',
    String(seconds),
    ip,
  ]);
  let output = '';
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  return new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(opts.clock.now());
      else {
        reject(
          new Error(
            `${ip} did not answer ping within ${String(seconds)} s (ping exit ${String(code)}): ${output.trim().split('\n').slice(-2).join(' ')}`,
          ),
        );
      }
    });
  });
}
