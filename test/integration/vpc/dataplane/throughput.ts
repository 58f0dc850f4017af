// TCP throughput between two guests, as the receiver counts it: a sender of our own writes as
// fast as the connection takes for a few seconds, a receiver counts the bytes that arrive.
import type { ChildProcess } from 'node:child_process';
import type { Guest } from '../../../../hack/ovn/index.ts';
import { untilListening } from '../dataplane-fixture.ts';

/**
 * Accepts one connection and counts the bytes it receives from `warmupMs` after its first byte
 * (TCP's slow start and a meter's full bucket are not the rate) to its end; then prints the
 * count and the milliseconds they took as JSON, and exits.
 */
const receiverScript = `
const [port, warmupMs] = process.argv.slice(1).map(Number);
const server = require('node:net').createServer((s) => {
  let first, start, bytes = 0, last;
  s.on('data', (d) => {
    const now = performance.now();
    first ??= now;
    if (now - first < warmupMs) return;
    start ??= now;
    bytes += d.length;
    last = now;
  });
  s.on('error', () => {});
  s.on('close', () => {
    console.log(JSON.stringify({ bytes, ms: start === undefined ? 0 : last - start }));
    server.close();
  });
});
server.listen(port, '0.0.0.0', () => console.log('listening'));
`;

/** Connects and writes 64 KiB chunks as fast as the socket drains them for \`ms\`, then ends. */
const senderScript = `
const [host, port, ms] = process.argv.slice(1);
const chunk = Buffer.alloc(65536, 120);
const s = require('node:net').connect({ host, port: Number(port) });
s.on('error', (e) => { console.error(e.message); process.exit(2); });
s.on('connect', () => {
  const until = performance.now() + Number(ms);
  const pump = () => {
    while (performance.now() < until) {
      if (!s.write(chunk)) return void s.once('drain', pump);
    }
    s.end(() => process.exit(0));
  };
  pump();
});
`;

export interface Throughput {
  /** Megabits per second over the counted window. */
  mbps: number;
  bytes: number;
  ms: number;
}

function report(child: ChildProcess, what: string): Promise<{ bytes: number; ms: number }> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as { bytes: number; ms: number });
      } catch {
        reject(new Error(`${what} exited (${String(code)}) without a count: ${out}`));
      }
    });
  });
}

/**
 * Sends from `from` to `to` (at `ip`) for `seconds`, and returns the rate the receiver counted
 * after a one-second warm-up.
 */
export async function measureTcp(
  from: Guest,
  to: Guest,
  ip: string,
  port: number,
  seconds = 6,
): Promise<Throughput> {
  const receiver = to.spawn([process.execPath, '-e', receiverScript, String(port), '1000']);
  const what = `the receiver in ${to.name}`;
  await untilListening(receiver, what);
  const counted = report(receiver, what);
  const sent = await from.exec(
    [process.execPath, '-e', senderScript, ip, String(port), String(seconds * 1000)],
    { timeoutMs: seconds * 1000 + 30_000 },
  );
  if (sent.code !== 0) {
    receiver.kill();
    throw new Error(`the sender in ${from.name} failed (${String(sent.code)}): ${sent.stderr}`);
  }
  const { bytes, ms } = await counted;
  if (ms <= 0) throw new Error(`${what} counted nothing after its warm-up`);
  return { mbps: (bytes * 8) / (ms * 1000), bytes, ms };
}
