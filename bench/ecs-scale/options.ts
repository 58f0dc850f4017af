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
  /** The agent's --heartbeat-interval, in seconds. */
  heartbeatSeconds: number;
  out: string;
  keep: boolean;
  /** The manager's --scheduler-workers, when not its default. */
  schedulerWorkers?: number;
}

/** Renewals per second the default heartbeat interval keeps the simulated hosts under. */
export const maxRenewalsPerSecond = 100;

/**
 * The agent's default interval (10 s) up to 1,000 hosts; beyond, long enough that the hosts
 * renew at most 100 Leases a second together. One agent process sends every renewal of its
 * simulated hosts, and this API server admitted 100/s from one client, not 500/s: 5,000 hosts
 * at 10 s were refused (429) round after round, so the agent never became ready.
 */
export function defaultHeartbeatSeconds(hosts: number): number {
  return Math.max(10, Math.ceil(hosts / maxRenewalsPerSecond));
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
      'heartbeat-interval': { type: 'string' },
      out: { type: 'string', default: path.join(repoRoot, 'docs', 'benchmarks.md') },
      keep: { type: 'boolean', default: false },
      'scheduler-workers': { type: 'string' },
    },
    strict: true,
  });
  const instances = positive('instances', values.instances);
  const hosts = positive('hosts', values.hosts);
  const interval = values['heartbeat-interval'];
  return {
    hosts,
    heartbeatSeconds:
      interval === undefined
        ? defaultHeartbeatSeconds(hosts)
        : positive('heartbeat-interval', interval.replace(/s$/, '')),
    instances,
    rate: positive('rate', values.rate),
    baseline: values.baseline === undefined ? instances : positive('baseline', values.baseline),
    out: values.out,
    keep: values.keep,
    ...(values['scheduler-workers'] === undefined
      ? {}
      : { schedulerWorkers: positive('scheduler-workers', values['scheduler-workers']) }),
  };
}

/** The command that repeats a run, for the section (where it writes and --keep left out). */
export function commandLine(argv: readonly string[]): string {
  return [
    'node bench/ecs-scale/main.ts',
    ...argv.filter((a) => !a.startsWith('--out') && a !== '--keep'),
  ].join(' ');
}
