// The ECS operator's flags: where host heartbeats are, how late one may be, and how the
// scheduler chooses among the hosts that fit.
import { parseDuration } from '../../controllers/index.ts';
import { stringFlag, type FlagSpecs, type FlagValues } from '../../controllers/manager/index.ts';

/** The scheduler's workers unless --scheduler-workers says otherwise. */
export const defaultSchedulerWorkers = 4;

export const ecsFlags = {
  'hosts-namespace': {
    type: 'string',
    default: 'kcloud-hosts',
    description: 'the namespace of the host agents’ heartbeat Leases (as the agents’ own flag)',
  },
  'host-grace-period': {
    type: 'string',
    default: '40s',
    description:
      'how long past its Lease’s duration a host’s heartbeat may be late before the host turns Ready=Unknown',
  },
  'evacuation-grace': {
    type: 'string',
    default: '5m',
    description:
      'how long a host stays lost (its heartbeat later than the Lease’s duration and the host grace period) before it is fenced and its instances with volumes in shared pools move to other hosts',
  },
  'scheduling-policy': {
    type: 'string',
    default: 'Spread',
    description:
      'how instances are placed among the hosts that fit: Spread (the least loaded first) or Pack (the most loaded first, leaving hosts empty)',
  },
  'scheduler-workers': {
    type: 'string',
    default: String(defaultSchedulerWorkers),
    description:
      'how many Instances the scheduler works on at once (each look waits mostly on the API server: the binding, its boot volume, attachments and copies are several writes)',
  },
} satisfies FlagSpecs;

export interface EcsOperatorConfig {
  hostsNamespace: string;
  hostGracePeriodMs: number;
  evacuationGraceMs: number;
  schedulingPolicy: 'Spread' | 'Pack';
  schedulerWorkers: number;
}

export function configureEcs(values: FlagValues): EcsOperatorConfig {
  const hostsNamespace = stringFlag(values, 'hosts-namespace');
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(hostsNamespace)) {
    throw new Error(`--hosts-namespace must be a namespace name, not "${hostsNamespace}"`);
  }
  const policy = stringFlag(values, 'scheduling-policy');
  if (policy !== 'Spread' && policy !== 'Pack') {
    throw new Error(`--scheduling-policy takes Spread or Pack, not "${policy}"`);
  }
  const workers = stringFlag(values, 'scheduler-workers');
  if (!/^[1-9][0-9]{0,2}$/.test(workers)) {
    throw new Error(`--scheduler-workers takes a whole number from 1 to 999, not "${workers}"`);
  }
  return {
    hostsNamespace,
    schedulingPolicy: policy,
    schedulerWorkers: Number(workers),
    evacuationGraceMs: parseDuration('--evacuation-grace', stringFlag(values, 'evacuation-grace')),
    hostGracePeriodMs: parseDuration(
      '--host-grace-period',
      stringFlag(values, 'host-grace-period'),
    ),
  };
}
