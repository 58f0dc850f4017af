// The VPC benchmark's flags: sizes default to the figures docs/benchmarks.md reports, and can be
// made small for a quick run (`--nics=200`).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { probeSubnetCapacity, subnetPrefixFor } from './topology.ts';

export interface VpcBenchOptions {
  subnets: number;
  nics: number;
  securityGroups: number;
  /** Rules of all SecurityGroups together. */
  rules: number;
  /** Create requests in flight. */
  creates: number;
  /** NICs measured from create to port up, per way of plugging them. */
  sample: number;
  /** Rule added then removed, each a measurement. */
  sgRounds: number;
  /** Switch ports written per bulk write. */
  nbPorts: number;
  /** Rounds of each bulk writer. */
  nbRounds: number;
  /** SecurityGroups of the many-groups phase, all in one namespace. */
  groups: number;
  /** Other groups each of them names in its rules. */
  groupReferences: number;
  /**
   * Run only this phase (`groups`, or `scale`: the scale phase and its writes per NIC), and
   * print its figures instead of writing the section.
   */
  only?: 'groups' | 'scale';
  /** The manager's `--status-batch-period`; its default when not given. */
  statusBatchPeriod?: string;
  /**
   * Install the vpc operator's finalizer policy, as the chart and make demo do (default), or not
   * (`--no-create-finalizer`: the operator adds its finalizer with a write of its own).
   */
  createFinalizer: boolean;
  /** With --only=scale: send the NICs at this many per second (a sustained load), not at once. */
  nicRate?: number;
  out: string;
  keep: boolean;
}

/** The most rules one SecurityGroup takes (the CRD's maxItems). */
export const maxRulesPerGroup = 200;

function positive(name: string, value: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`--${name} must be an integer of at least ${min}, not "${value}"`);
  }
  return n;
}

function onlyPhase(value: string): 'groups' | 'scale' {
  if (value !== 'groups' && value !== 'scale') {
    throw new Error(`--only takes groups or scale, not "${value}"`);
  }
  return value;
}

export function parseOptions(argv: string[], repoRoot: string): VpcBenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      subnets: { type: 'string', default: '50' },
      nics: { type: 'string', default: '5000' },
      'security-groups': { type: 'string', default: '10' },
      rules: { type: 'string', default: '200' },
      creates: { type: 'string', default: '16' },
      sample: { type: 'string', default: '30' },
      'sg-rounds': { type: 'string', default: '10' },
      'nb-ports': { type: 'string', default: '5000' },
      'nb-rounds': { type: 'string', default: '3' },
      groups: { type: 'string', default: '200' },
      'group-references': { type: 'string', default: '3' },
      only: { type: 'string' },
      'status-batch-period': { type: 'string' },
      'create-finalizer': { type: 'boolean', default: true },
      'nic-rate': { type: 'string' },
      out: { type: 'string', default: path.join(repoRoot, 'docs', 'benchmarks.md') },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
    allowNegative: true,
  });
  const opts: VpcBenchOptions = {
    subnets: positive('subnets', values.subnets),
    nics: positive('nics', values.nics),
    securityGroups: positive('security-groups', values['security-groups']),
    rules: positive('rules', values.rules, 0),
    creates: positive('creates', values.creates),
    sample: positive('sample', values.sample),
    sgRounds: positive('sg-rounds', values['sg-rounds']),
    nbPorts: positive('nb-ports', values['nb-ports']),
    nbRounds: positive('nb-rounds', values['nb-rounds']),
    groups: positive('groups', values.groups),
    groupReferences: positive('group-references', values['group-references'], 0),
    ...(values.only !== undefined ? { only: onlyPhase(values.only) } : {}),
    ...(values['status-batch-period'] !== undefined
      ? { statusBatchPeriod: values['status-batch-period'] }
      : {}),
    createFinalizer: values['create-finalizer'],
    ...(values['nic-rate'] !== undefined
      ? { nicRate: positive('nic-rate', values['nic-rate']) }
      : {}),
    out: values.out,
    keep: values.keep,
  };
  if (opts.nicRate !== undefined && opts.only !== 'scale') {
    throw new Error('--nic-rate goes with --only=scale');
  }
  if (opts.rules > opts.securityGroups * maxRulesPerGroup) {
    throw new Error(
      `--rules=${opts.rules} does not fit in ${opts.securityGroups} SecurityGroups of at most ${maxRulesPerGroup} rules`,
    );
  }
  // Throws when the Subnets cannot hold the NICs.
  subnetPrefixFor(opts.nics, opts.subnets);
  if (2 * opts.sample + 2 > probeSubnetCapacity) {
    throw new Error(`--sample must be at most ${(probeSubnetCapacity - 2) / 2}`);
  }
  return opts;
}
