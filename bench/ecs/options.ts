import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../../hack/cluster/index.ts';

export interface EcsBenchOptions {
  /** Instances kcloud boots, and bare QEMU launches beside them: as many of each. */
  instances: number;
  /** VMs booting at once, per side: the machine has 2 cores, so 1 to 3. */
  wave: number;
  /** Leave the probe's ARP cache as it is before each ping (see first-reply.ts). */
  keepNeighbours: boolean;
  out: string;
  keep: boolean;
}

/** More VMs at once than this would measure the 2-core machine's queue, not the boot. */
export const maxWave = 3;

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

export function parseOptions(argv: string[]): EcsBenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      instances: { type: 'string', default: '10' },
      wave: { type: 'string', default: '2' },
      out: { type: 'string', default: path.join(repoRoot, 'docs', 'benchmarks.md') },
      'keep-neighbours': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const wave = positive('wave', values.wave);
  if (wave > maxWave) {
    throw new Error(`--wave is at most ${String(maxWave)} (VMs at once per side on 2 cores)`);
  }
  return {
    instances: positive('instances', values.instances),
    wave,
    keepNeighbours: values['keep-neighbours'],
    out: values.out,
    keep: values.keep,
  };
}

/** The runs in waves: `[[0, 1], [2, 3], …]` for 2 at a time, the last one maybe shorter. */
export function waves(count: number, size: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < count; i += size) {
    out.push(Array.from({ length: Math.min(size, count - i) }, (_, j) => i + j));
  }
  return out;
}
