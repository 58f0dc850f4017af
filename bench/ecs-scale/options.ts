import path from 'node:path';
import { parseArgs } from 'node:util';

export interface ScaleOptions {
  /** Simulated hosts, all answered for by one agent process. */
  hosts: number;
  /** Instances created into the namespace the manager reconciles. */
  instances: number;
  /** Instance creates per second, on each side. */
  rate: number;
  /** Creates of the baseline side (no manager acting on them); as many as instances by default. */
  baseline: number;
  out: string;
  keep: boolean;
}

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
  return n;
}

export function parseOptions(argv: string[], repoRoot: string): ScaleOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      hosts: { type: 'string', default: '1000' },
      instances: { type: 'string', default: '10000' },
      rate: { type: 'string', default: '100' },
      baseline: { type: 'string' },
      out: { type: 'string', default: path.join(repoRoot, 'docs', 'benchmarks.md') },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const instances = positive('instances', values.instances);
  return {
    hosts: positive('hosts', values.hosts),
    instances,
    rate: positive('rate', values.rate),
    baseline: values.baseline === undefined ? instances : positive('baseline', values.baseline),
    out: values.out,
    keep: values.keep,
  };
}

/** The command that repeats a run, for the section (where it writes and --keep left out). */
export function commandLine(argv: readonly string[]): string {
  return [
    'node bench/ecs-scale/main.ts',
    ...argv.filter((a) => !a.startsWith('--out') && a !== '--keep'),
  ].join(' ');
}
