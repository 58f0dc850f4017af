// The manager's own flags, merged with the flags every operator declares: one command line,
// one --help, and a flag two owners declare is a programming error caught at start.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  helpText as sharedHelpText,
  type FlagGroup,
  type FlagSpecs,
  type Operator,
} from '../../controllers/manager/index.ts';

export { mergeFlags, parseFlags, type FlagGroup } from '../../controllers/manager/index.ts';

export const managerFlags = {
  help: { type: 'boolean', description: 'print the flags and exit' },
  kubeconfig: {
    type: 'string',
    description: 'the kubeconfig file; $KUBECONFIG, else the pod’s service account',
  },
  operators: {
    type: 'string',
    default: 'all',
    description: 'all (every product operator) or operator names separated by commas',
  },
  namespace: { type: 'string', description: 'watch and reconcile one namespace only' },
  'health-addr': {
    type: 'string',
    default: '127.0.0.1:8081',
    description: 'host:port of /healthz, /readyz and /metrics',
  },
  'leader-elect': {
    type: 'string',
    default: 'true',
    description: 'true or false: elect a leader through a Lease',
  },
  'leader-election-namespace': {
    type: 'string',
    default: 'kcloud-system',
    description: 'the namespace of the leader Lease',
  },
  'leader-election-id': {
    type: 'string',
    default: 'kcloud-manager',
    description: 'the name of the leader Lease',
  },
  identity: {
    type: 'string',
    default: `${os.hostname()}_${randomBytes(4).toString('hex')}`,
    description: 'this replica’s name in the Lease, its events and its logs',
  },
  'lease-duration': { type: 'string', default: '15s', description: 'the Lease’s duration' },
  'renew-deadline': {
    type: 'string',
    default: '10s',
    description: 'how long the leader tries to renew before it gives up',
  },
  'retry-period': { type: 'string', default: '2s', description: 'between Lease attempts' },
  'initial-list': {
    type: 'string',
    default: 'streaming',
    description: 'streaming or paginated: how the caches list at start',
  },
  'log-level': { type: 'string', default: 'info', description: 'debug, info, warn or error' },
} satisfies FlagSpecs;

/** The manager's flags, then each operator's, in the operators list's order. */
export function flagGroups(ops: readonly Operator[]): FlagGroup[] {
  return [
    { owner: 'kcloud-manager', flags: managerFlags },
    ...ops.map((op) => ({ owner: `the ${op.name} operator`, flags: op.flags })),
  ];
}

/** `--help`: every flag, grouped by who reads it, with its default and what it is for. */
export function helpText(groups: readonly FlagGroup[]): string {
  return sharedHelpText('kcloud-manager', groups);
}
