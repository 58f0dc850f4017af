// kcloud-agent's own flags, merged with the flags of every host module: one command line, one
// --help (the manager's command-line code, controllers/manager/command-line.ts).
import os from 'node:os';
import path from 'node:path';
import { parseDuration, parseLogLevel, type LogLevel } from '../controllers/index.ts';
import {
  stringFlag,
  type FlagGroup,
  type FlagSpecs,
  type FlagValues,
} from '../controllers/manager/index.ts';
import { appRoot } from './app-root.ts';
import { parseBytes, parseRatio } from './host/capacity.ts';
import { parseHypervisorMode, type HypervisorMode } from './host/hypervisor/index.ts';
import type { HostModule } from './modules/index.ts';

export const agentFlags = {
  help: { type: 'boolean', description: 'print the flags and exit' },
  kubeconfig: {
    type: 'string',
    description: 'the kubeconfig file; $KUBECONFIG, else the pod’s service account',
  },
  'host-name': {
    type: 'string',
    default: os.hostname().toLowerCase(),
    description: 'this host’s name: its Host, its Lease; the one its credentials name',
  },
  'hosts-namespace': {
    type: 'string',
    default: 'kcloud-hosts',
    description: 'the namespace of host heartbeat Leases',
  },
  'heartbeat-interval': {
    type: 'string',
    default: '10s',
    description: 'how often the Lease is renewed; it lasts four intervals',
  },
  'health-addr': {
    type: 'string',
    default: '127.0.0.1:8082',
    description: 'host:port of /healthz, /readyz and /metrics',
  },
  zone: { type: 'string', description: 'the host’s zone (label topology.kubernetes.io/zone)' },
  rack: { type: 'string', description: 'the host’s rack (label topology.kcloud.io/rack)' },
  'host-group': {
    type: 'string',
    description: 'the host’s group (label topology.kcloud.io/host-group)',
  },
  'cpu-overcommit': {
    type: 'string',
    default: '4',
    description: 'vCPUs offered per host CPU (allocatable = CPUs × this)',
  },
  'reserved-memory': {
    type: 'string',
    default: '1Gi',
    description: 'memory kept for the host itself (allocatable = memory − this)',
  },
  hypervisor: {
    type: 'string',
    default: 'auto',
    description:
      'auto (a short probe boot decides kvm or tcg), or kvm or tcg when the answer is known',
  },
  'probe-guest': {
    type: 'string',
    default: defaultGuestDir(),
    description: 'the folder of the probe guest (probe-guest.json; hack/guest.sh build makes it)',
  },
  'state-dir': {
    type: 'string',
    default: path.join(appRoot(), '.local', 'agent'),
    description: 'where the agent keeps what it learnt about the host (the probe’s answer)',
  },
  simulate: {
    type: 'string',
    default: '0',
    description:
      'register this many simulated Hosts <host-name>-sim-<i> instead of this host (a benchmark device)',
  },
  'log-level': { type: 'string', default: 'info', description: 'debug, info, warn or error' },
} satisfies FlagSpecs;

/** $KCLOUD_GUEST_DIR, else .local/guest where hack/guest.sh builds it. */
function defaultGuestDir(): string {
  return process.env.KCLOUD_GUEST_DIR ?? path.join(appRoot(), '.local', 'guest');
}

export interface AgentConfig {
  kubeconfig?: string;
  hostName: string;
  hostsNamespace: string;
  heartbeatIntervalMs: number;
  healthAddr: string;
  topology: { zone?: string; rack?: string; hostGroup?: string };
  cpuOvercommit: number;
  reservedMemoryBytes: number;
  /** 0: this host; N: N simulated hosts. */
  simulate: number;
  hypervisor: HypervisorMode;
  probeGuest: string;
  stateDir: string;
  logLevel: LogLevel;
}

/** The agent's flags, then each host module's. */
export function agentFlagGroups(modules: readonly HostModule[]): FlagGroup[] {
  return [
    { owner: 'kcloud-agent', flags: agentFlags },
    ...modules.map((m) => ({ owner: `the ${m.name} host module`, flags: m.flags })),
  ];
}

const dnsName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValue = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

function label(values: FlagValues, flag: string): string | undefined {
  const v = stringFlag(values, flag);
  if (v === '') return undefined;
  if (!labelValue.test(v)) {
    throw new Error(
      `--${flag} must be a label value (up to 63 letters, digits, '-', '_' or '.'), not "${v}"`,
    );
  }
  return v;
}

export function configureAgent(values: FlagValues): AgentConfig {
  const flag = (name: string) => stringFlag(values, name);
  const hostName = flag('host-name');
  // The host name is also the value of the label that binds objects to the host.
  if (hostName.length > 63 || !dnsName.test(hostName)) {
    throw new Error(
      `--host-name must be a lower-case DNS name of at most 63 characters, not "${hostName}"`,
    );
  }
  const simulate = /^\d+$/.test(flag('simulate')) ? Number(flag('simulate')) : NaN;
  if (!Number.isInteger(simulate) || simulate < 0 || simulate > 10_000) {
    throw new Error(`--simulate must be a whole number from 0 to 10000, not "${flag('simulate')}"`);
  }
  const longest = simulate > 0 ? `${hostName}-sim-${String(simulate)}` : hostName;
  if (longest.length > 63) {
    throw new Error(
      `--host-name=${hostName} --simulate=${String(simulate)} names hosts like ${longest}, longer than 63 characters: shorten --host-name`,
    );
  }
  const zone = label(values, 'zone');
  const rack = label(values, 'rack');
  const hostGroup = label(values, 'host-group');
  return {
    ...(flag('kubeconfig') ? { kubeconfig: flag('kubeconfig') } : {}),
    hostName,
    hostsNamespace: flag('hosts-namespace'),
    heartbeatIntervalMs: parseDuration('--heartbeat-interval', flag('heartbeat-interval')),
    healthAddr: flag('health-addr'),
    topology: {
      ...(zone ? { zone } : {}),
      ...(rack ? { rack } : {}),
      ...(hostGroup ? { hostGroup } : {}),
    },
    cpuOvercommit: parseRatio('--cpu-overcommit', flag('cpu-overcommit')),
    reservedMemoryBytes: parseBytes('--reserved-memory', flag('reserved-memory')),
    simulate,
    hypervisor: parseHypervisorMode('--hypervisor', flag('hypervisor')),
    probeGuest: flag('probe-guest'),
    stateDir: flag('state-dir'),
    logLevel: parseLogLevel(flag('log-level')),
  };
}
