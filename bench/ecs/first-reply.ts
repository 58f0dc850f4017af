// When a guest first answers ping: one `ping` in the probe's namespace, sending every 100 ms
// from the moment it starts and exiting at the first echo reply. One process rather than a
// ping per poll: the resolution is the interval, not a process start.
import type { Clock } from '../../controllers/clock/index.ts';
import type { Guest } from '../../hack/ovn/index.ts';

export const pingIntervalMs = 100;

/** Resolves with the clock's time of the first reply from `ip`; rejects after `timeoutMs`. */
export function firstReply(
  probe: Guest,
  ip: string,
  opts: { clock: Clock; timeoutMs: number },
): Promise<number> {
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
  return new Promise((resolve, reject) => {
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
