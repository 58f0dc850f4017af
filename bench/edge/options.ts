// The edge benchmark's flags: sizes default to what docs/benchmarks.md reports (issue 13's
// bench), and can be made small for a quick run (`--lbs=5 --nats=5 --binds=4 --block=2`).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkSizes } from './topology.ts';

export interface EdgeBenchOptions {
  lbs: number;
  /** Members of each LoadBalancer. */
  members: number;
  /** EIPs bound to NICs (NAT rows). */
  nats: number;
  /** Re-binds of the measured EIP by each writer (kcloud, ovn-nbctl). */
  binds: number;
  /** Re-binds in a row by one writer before the other takes over. */
  block: number;
  /** Create requests in flight. */
  creates: number;
  out: string;
  keep: boolean;
}

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`--${name} must be a positive integer, not "${value}"`);
  }
  return n;
}

export function parseOptions(argv: string[], repoRoot: string): EdgeBenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      lbs: { type: 'string', default: '100' },
      members: { type: 'string', default: '10' },
      nats: { type: 'string', default: '200' },
      binds: { type: 'string', default: '200' },
      block: { type: 'string', default: '50' },
      creates: { type: 'string', default: '16' },
      out: { type: 'string', default: path.join(repoRoot, 'docs', 'benchmarks.md') },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const opts: EdgeBenchOptions = {
    lbs: positive('lbs', values.lbs),
    members: positive('members', values.members),
    nats: positive('nats', values.nats),
    binds: positive('binds', values.binds),
    block: positive('block', values.block),
    creates: positive('creates', values.creates),
    out: values.out,
    keep: values.keep,
  };
  checkSizes(opts);
  if (opts.binds % opts.block !== 0) {
    throw new Error(
      `--binds must be a multiple of --block (${String(opts.block)}): each writer re-binds in whole blocks`,
    );
  }
  return opts;
}
