// Who answers at an address: a TCP server in each guest that answers with its own name, and a
// client in the "internet" namespace that, while started, opens a connection every few
// milliseconds and prints one JSON line per attempt: when it started, and when and by whom it
// was answered (or that it was not). Both run as `node -e` inside a namespace; the client is
// started and stopped by lines on its stdin, so it sends nothing between measurements.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** argv: port, name. Prints "listening" once it accepts. */
export const answerScript = `
const [port, name] = process.argv.slice(1);
require('node:net')
  .createServer((s) => { s.on('error', () => {}); s.end(name + '\\n'); })
  .listen(Number(port), '0.0.0.0', () => console.log('listening'));
`;

/**
 * argv: host, port, every (ms), timeout (ms). stdin: "start" / "stop". Prints "ready", then
 * per attempt {"t":start,"r":answered,"who":name} or {"t":start,"miss":true}.
 */
export const proberScript = `
const net = require('node:net');
const [host, port, every, timeout] = process.argv.slice(1);
let timer;
const attempt = () => {
  const t = Date.now();
  const s = net.connect({ host, port: Number(port) });
  let data = '';
  let done = false;
  const end = (who) => {
    if (done) return;
    done = true;
    s.destroy();
    const line = who ? { t, r: Date.now(), who } : { t, miss: true };
    process.stdout.write(JSON.stringify(line) + '\\n');
  };
  s.setTimeout(Number(timeout), () => end(undefined));
  s.on('data', (b) => {
    data += b;
    const nl = data.indexOf('\\n');
    if (nl >= 0) end(data.slice(0, nl));
  });
  s.once('end', () => end(data.trim() || undefined));
  s.once('error', () => end(undefined));
};
require('node:readline').createInterface({ input: process.stdin }).on('line', (l) => {
  if (l === 'start' && !timer) { attempt(); timer = setInterval(attempt, Number(every)); }
  if (l === 'stop' && timer) { clearInterval(timer); timer = undefined; }
});
console.log('ready');
`;

export type Attempt = { t: number; r: number; who: string } | { t: number; miss: true };

export function parseAttempt(line: string): Attempt | undefined {
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    if (typeof v !== 'object' || typeof v.t !== 'number') return undefined;
    if (v.miss === true) return { t: v.t, miss: true };
    if (typeof v.r === 'number' && typeof v.who === 'string') return { t: v.t, r: v.r, who: v.who };
    return undefined;
  } catch {
    return undefined;
  }
}

/**
 * The first answer by `who` (the earliest answered) among the attempts started at or after
 * `from`: an attempt started earlier may have reached the address before the change.
 */
export function firstAnswer(
  attempts: readonly Attempt[],
  from: number,
  who: string,
): { t: number; r: number } | undefined {
  let best: { t: number; r: number } | undefined;
  for (const a of attempts) {
    if ('miss' in a || a.t < from || a.who !== who) continue;
    if (!best || a.r < best.r) best = { t: a.t, r: a.r };
  }
  return best;
}

/** Attempts started in [from, to) that nobody answered. */
export function missesBetween(attempts: readonly Attempt[], from: number, to: number): number {
  return attempts.filter((a) => 'miss' in a && a.t >= from && a.t < to).length;
}

/**
 * Attempts a probe client reports, as they arrive, and waits over them: the part every probe
 * client shares whatever its lines say.
 */
export class AttemptLog<A> {
  /** The attempts so far (since the last clear, for a Prober). */
  readonly attempts: A[] = [];
  private readonly listeners = new Set<() => void>();

  protected add(a: A): void {
    this.attempts.push(a);
    for (const l of [...this.listeners]) l();
  }

  /** Resolves once `test` gives a value over the attempts so far; checked at each attempt. */
  until<T>(
    test: (attempts: readonly A[]) => T | undefined,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    const now = test(this.attempts);
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = test(this.attempts);
        if (v === undefined) return;
        this.listeners.delete(check);
        clearTimeout(timer);
        resolve(v);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        const last = this.attempts.slice(-5).map((a) => JSON.stringify(a));
        reject(
          new Error(
            `timed out after ${String(timeoutMs / 1000)} s waiting for ${what}; last attempts: ${last.join(' ')}`,
          ),
        );
      }, timeoutMs);
      this.listeners.add(check);
    });
  }
}

/** The client process of proberScript: its attempts, started and stopped on demand. */
export class Prober extends AttemptLog<Attempt> {
  /** The attempts before the last clear(). */
  private readonly past: Attempt[] = [];
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;

  constructor(child: ChildProcess) {
    super();
    this.child = child;
    if (!child.stdout || !child.stdin) throw new Error('the probe client has no stdin/stdout');
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    this.ready = new Promise((resolve, reject) => {
      child.once('exit', (code) => {
        reject(new Error(`the probe client exited (${String(code)}): ${stderr}`));
      });
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        if (line === 'ready') resolve();
        const a = parseAttempt(line);
        if (a) this.add(a);
      });
    });
  }

  waitReady(): Promise<void> {
    return this.ready;
  }

  start(): void {
    this.child.stdin?.write('start\n');
  }

  stop(): void {
    this.child.stdin?.write('stop\n');
  }

  /** Sets the attempts so far aside (between measurements, so the waits scan few). */
  clear(): void {
    for (const a of this.attempts) this.past.push(a);
    this.attempts.length = 0;
  }

  /** Every attempt since the start. */
  all(): Attempt[] {
    return [...this.past, ...this.attempts];
  }
}
