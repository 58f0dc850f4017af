// kcloud-manager: one process hosting the product operators.
//
//   kcloud-manager [--kubeconfig=PATH] [--operators=all|vpc,eip,...] [--namespace=NS]
//                  [--health-addr=HOST:PORT]
//                  [--leader-elect=true] [--leader-election-namespace=kcloud-system]
//                  [--leader-election-id=kcloud-manager] [--identity=NAME]
//                  [--lease-duration=15s] [--renew-deadline=10s] [--retry-period=2s]
//                  [--initial-list=streaming|paginated]
//                  [--ovn-nb=unix:PATH|tcp:HOST:PORT|ssl:HOST:PORT,...]
//                  [--ovn-nb-key=PATH --ovn-nb-cert=PATH --ovn-nb-ca=PATH] [--ovn-nb-server-name=NAME]
//                  [--notes-dir=DIR] [--log-level=info]
//
// Exit codes: 0 after SIGTERM/SIGINT (leadership released at once), 1 on a startup error or
// when leadership is lost (a restart begins again from a clean state).
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  createLogger,
  loadKubeConfig,
  parseDuration,
  parseHostPort,
  parseLogLevel,
} from '../../controllers/index.ts';
import { Manager } from '../../controllers/manager/index.ts';
import { selectOperators } from './operators.ts';
import { ovnNbTls } from './ovn-tls-flags.ts';

function parseBool(flag: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error(`${flag} must be true or false, not "${value}"`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      operators: { type: 'string', default: 'all' },
      namespace: { type: 'string' },
      'health-addr': { type: 'string', default: '127.0.0.1:8081' },
      'leader-elect': { type: 'string', default: 'true' },
      'leader-election-namespace': { type: 'string', default: 'kcloud-system' },
      'leader-election-id': { type: 'string', default: 'kcloud-manager' },
      identity: { type: 'string', default: `${os.hostname()}_${randomBytes(4).toString('hex')}` },
      'lease-duration': { type: 'string', default: '15s' },
      'renew-deadline': { type: 'string', default: '10s' },
      'retry-period': { type: 'string', default: '2s' },
      'initial-list': { type: 'string', default: 'streaming' },
      'notes-dir': { type: 'string', default: path.resolve('.local/notes') },
      'ovn-nb': { type: 'string', default: process.env.KCLOUD_OVN_NB ?? '' },
      'ovn-nb-key': { type: 'string' },
      'ovn-nb-cert': { type: 'string' },
      'ovn-nb-ca': { type: 'string' },
      'ovn-nb-server-name': { type: 'string' },
      'resync-period': { type: 'string', default: '10m' },
      'log-level': { type: 'string', default: 'info' },
    },
    strict: true,
  });
  const log = createLogger('kcloud-manager', parseLogLevel(values['log-level']));
  const initialList = values['initial-list'];
  if (initialList !== 'paginated' && initialList !== 'streaming') {
    throw new Error(`--initial-list must be paginated or streaming, not "${initialList}"`);
  }
  const selected = selectOperators(values.operators);
  const leaderElect = parseBool('--leader-elect', values['leader-elect']);
  const mgr = new Manager({
    kubeconfig: loadKubeConfig(values.kubeconfig),
    log,
    identity: values.identity,
    health: parseHostPort('--health-addr', values['health-addr']),
    initialList,
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(leaderElect
      ? {
          leaderElection: {
            namespace: values['leader-election-namespace'],
            name: values['leader-election-id'],
            leaseDurationMs: parseDuration('--lease-duration', values['lease-duration']),
            renewDeadlineMs: parseDuration('--renew-deadline', values['renew-deadline']),
            retryPeriodMs: parseDuration('--retry-period', values['retry-period']),
          },
        }
      : {}),
  });
  const ovnNb = values['ovn-nb']
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const ovnNbTlsFiles = ovnNbTls(ovnNb, {
    keyFile: values['ovn-nb-key'],
    certFile: values['ovn-nb-cert'],
    caFile: values['ovn-nb-ca'],
    serverName: values['ovn-nb-server-name'],
  });
  const resyncPeriodMs = parseDuration('--resync-period', values['resync-period']);
  for (const op of selected) {
    op.register(mgr, {
      notesDir: values['notes-dir'],
      ovnNb,
      ...(ovnNbTlsFiles ? { ovnNbTls: ovnNbTlsFiles } : {}),
      resyncPeriodMs,
    });
  }

  const stop = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      log.info('shutting down', { signal: sig });
      stop.abort(new Error(sig));
    });
  }
  log.info('kcloud-manager starting', {
    identity: values.identity,
    operators: selected.map((o) => o.name),
    leaderElect,
    healthAddr: values['health-addr'],
  });
  const outcome = await mgr.run(stop.signal);
  log.info('kcloud-manager stopped', { outcome });
  return outcome === 'lost-leadership' ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    createLogger('kcloud-manager').error('kcloud-manager failed', {
      error: err instanceof Error ? err.message : String(err),
    });
    process.exit(1);
  },
);
