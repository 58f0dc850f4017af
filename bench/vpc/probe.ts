// TCP probes between two guests: a server that accepts and closes, and a client that starts a
// connection attempt every few milliseconds, each with a deadline, and prints one JSON line per
// attempt with the moment it started. Both run as `node -e` inside a guest's namespace.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { AttemptLog } from '../../hack/ovn/index.ts';

/** argv: port. Prints "listening" once it accepts. */
export const serverScript = `
const net = require('node:net');
const server = net.createServer((s) => s.destroy());
server.listen(Number(process.argv[1]), '0.0.0.0', () => console.log('listening'));
`;

/** argv: host, port, every (ms), timeout (ms). One line per attempt: {"t":start,"ok":bool}. */
export const clientScript = `
const net = require('node:net');
const [host, port, every, timeout] = process.argv.slice(1);
setInterval(() => {
  const t = Date.now();
  const s = net.connect({ host, port: Number(port) });
  let done = false;
  const end = (ok) => {
    if (done) return;
    done = true;
    s.destroy();
    process.stdout.write(JSON.stringify({ t, ok }) + '\\n');
  };
  s.setTimeout(Number(timeout), () => end(false));
  s.once('connect', () => end(true));
  s.once('error', () => end(false));
}, Number(every));
`;

export interface Attempt {
  /** When the attempt started (its SYN left), ms since the epoch. */
  t: number;
  ok: boolean;
}

export function parseAttempt(line: string): Attempt | undefined {
  try {
    const v = JSON.parse(line) as unknown;
    if (typeof v !== 'object' || v === null) return undefined;
    const { t, ok } = v as { t?: unknown; ok?: unknown };
    return typeof t === 'number' && typeof ok === 'boolean' ? { t, ok } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The earliest-started attempt at or after `from` with outcome `ok`. Attempts finish out of
 * order (a dropped one only at its deadline), so the earliest start is searched, not the
 * first line.
 */
export function firstStarted(
  attempts: readonly Attempt[],
  from: number,
  ok: boolean,
): Attempt | undefined {
  let best: Attempt | undefined;
  for (const a of attempts) {
    if (a.t >= from && a.ok === ok && (!best || a.t < best.t)) best = a;
  }
  return best;
}

/**
 * The attempt that shows a rule change enforced, among those started at or after `from`. An
 * attempt can connect only if the path was open when it started, so the first to connect
 * marks an opening. One can miss its deadline on a busy machine with the path open, so a
 * closing is marked by the first dropped attempt started after the last one that connected.
 */
export function enforcement(
  attempts: readonly Attempt[],
  from: number,
  allowed: boolean,
): Attempt | undefined {
  if (allowed) return firstStarted(attempts, from, true);
  let lastThrough = from - 1;
  for (const a of attempts) if (a.ok && a.t >= from && a.t > lastThrough) lastThrough = a.t;
  return firstStarted(attempts, lastThrough + 1, false);
}

/**
 * Attempts that missed their deadline while the path was open (after the opening, or between
 * the change and the closing): a sign of a machine too busy for the probe's deadline.
 */
export function misses(
  attempts: readonly Attempt[],
  from: number,
  enforced: Attempt,
  allowed: boolean,
): number {
  return attempts.filter(
    (a) => !a.ok && (allowed ? a.t > enforced.t : a.t >= from && a.t < enforced.t),
  ).length;
}

/** Whether the `n` latest-started attempts all had outcome `ok`. */
export function settled(attempts: readonly Attempt[], n: number, ok: boolean): boolean {
  if (attempts.length < n) return false;
  const latest = [...attempts].sort((a, b) => a.t - b.t).slice(-n);
  return latest.every((a) => a.ok === ok);
}

/** The attempts a client process prints, collected as they arrive. */
export class ProbeLog extends AttemptLog<Attempt> {
  constructor(child: ChildProcess) {
    super();
    if (!child.stdout) throw new Error('the probe client has no stdout');
    createInterface({ input: child.stdout }).on('line', (line) => {
      const a = parseAttempt(line);
      if (a) this.add(a);
    });
  }
}
