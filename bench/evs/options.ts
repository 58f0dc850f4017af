import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../../hack/cluster/index.ts';

export interface EvsBenchOptions {
  volumes: number;
  /** Clones in flight in the baseline loops: the agent's volume controller's workers. */
  concurrency: number;
  /** Volume applies in flight. */
  applies: number;
  pools: ('file' | 'rbd')[];
  out: string;
  keep: boolean;
}

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

export function parseOptions(argv: string[]): EvsBenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      volumes: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '4' },
      applies: { type: 'string', default: '16' },
      pools: { type: 'string', default: 'file,rbd' },
      out: { type: 'string', default: path.join(repoRoot, 'docs', 'benchmarks.md') },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const pools = values.pools.split(',').map((p) => p.trim());
  for (const p of pools) {
    if (p !== 'file' && p !== 'rbd') throw new Error(`--pools takes file and rbd, not "${p}"`);
  }
  if (pools.length === 0 || new Set(pools).size !== pools.length) {
    throw new Error('--pools must name file, rbd or both, once each');
  }
  return {
    volumes: positive('volumes', values.volumes),
    concurrency: positive('concurrency', values.concurrency),
    applies: positive('applies', values.applies),
    pools: pools as ('file' | 'rbd')[],
    out: values.out,
    keep: values.keep,
  };
}
