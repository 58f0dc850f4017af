// The VPC operator's flags: where the OVN northbound database is, the TLS files for ssl:
// remotes, and how often objects are compared with OVN again.
import { parseDuration } from '../../controllers/index.ts';
import { stringFlag, type FlagSpecs, type FlagValues } from '../../controllers/manager/index.ts';
import type { TlsFiles } from '../../controllers/ovsdb/index.ts';

export const vpcFlags = {
  'ovn-nb': {
    type: 'string',
    default: process.env.KCLOUD_OVN_NB ?? '',
    description:
      'the OVN northbound database: unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT, several separated by commas ($KCLOUD_OVN_NB)',
  },
  'ovn-nb-key': { type: 'string', description: 'the client key (PEM) for ssl: remotes' },
  'ovn-nb-cert': { type: 'string', description: 'the client certificate (PEM) for ssl: remotes' },
  'ovn-nb-ca': {
    type: 'string',
    description: 'the CA (PEM) that signed the server for ssl: remotes',
  },
  'ovn-nb-server-name': {
    type: 'string',
    description: 'the name the server certificate must carry, when not the remote’s host',
  },
  'resync-period': {
    type: 'string',
    default: '10m',
    description: 'how often every object is compared with OVN again (drift repair, orphan sweep)',
  },
  'status-batch-period': {
    type: 'string',
    default: '5s',
    description:
      'the shortest time between two writes of a Subnet’s address counters or a SecurityGroup’s member count alone, so a burst of interfaces writes them once per period; the last change always lands (0s: write every change)',
  },
} satisfies FlagSpecs;

export interface OvnTlsFlags {
  keyFile?: string | undefined;
  certFile?: string | undefined;
  caFile?: string | undefined;
  serverName?: string | undefined;
}

/**
 * `--ovn-nb-key`, `--ovn-nb-cert` and `--ovn-nb-ca` go together, and an `ssl:` remote needs
 * them: a half-given set or a missing one stops the start with the flags named, rather than
 * every connection failing later.
 */
export function ovnNbTls(endpoints: readonly string[], flags: OvnTlsFlags): TlsFiles | undefined {
  const { keyFile, certFile, caFile, serverName } = flags;
  if (keyFile && certFile && caFile) {
    return { keyFile, certFile, caFile, ...(serverName ? { serverName } : {}) };
  }
  if (keyFile || certFile || caFile || serverName) {
    throw new Error(
      '--ovn-nb-key, --ovn-nb-cert and --ovn-nb-ca must be given together (--ovn-nb-server-name only with them)',
    );
  }
  if (endpoints.some((e) => e.startsWith('ssl:'))) {
    throw new Error('an ssl: --ovn-nb needs --ovn-nb-key, --ovn-nb-cert and --ovn-nb-ca');
  }
  return undefined;
}

export interface VpcOperatorConfig {
  /** OVN northbound endpoints, e.g. ['unix:/run/ovn/ovnnb_db.sock'] or ['ssl:10.0.0.1:6641']. */
  nbEndpoints: string[];
  /** The client certificate, key and CA for `ssl:` endpoints. */
  nbTls?: TlsFiles;
  resyncPeriodMs?: number;
  statusBatchPeriodMs?: number;
  /** See VpcOperatorOptions.peerNamespaces (no flag: a manager scoped to one namespace is for tests). */
  peerNamespaces?: readonly string[];
}

/** The VPC operator's settings from its flags. */
export function configureVpc(values: FlagValues): VpcOperatorConfig {
  const nbEndpoints = stringFlag(values, 'ovn-nb')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const nbTls = ovnNbTls(nbEndpoints, {
    keyFile: stringFlag(values, 'ovn-nb-key'),
    certFile: stringFlag(values, 'ovn-nb-cert'),
    caFile: stringFlag(values, 'ovn-nb-ca'),
    serverName: stringFlag(values, 'ovn-nb-server-name'),
  });
  return {
    nbEndpoints,
    ...(nbTls ? { nbTls } : {}),
    resyncPeriodMs: parseDuration(
      '--resync-period',
      stringFlag(values, 'resync-period') || vpcFlags['resync-period'].default,
    ),
    statusBatchPeriodMs: parseDuration(
      '--status-batch-period',
      stringFlag(values, 'status-batch-period') || vpcFlags['status-batch-period'].default,
    ),
  };
}
