// kcloud-manager: one process hosting the product operators.
//
//   kcloud-manager [--kubeconfig=PATH] [--operators=all|vpc,eip,...] [--namespace=NS]
//                  [--health-addr=HOST:PORT]
//                  [--leader-elect=true] [--leader-election-namespace=kcloud-system]
//                  [--leader-election-id=kcloud-manager] [--identity=NAME]
//                  [--lease-duration=15s] [--renew-deadline=10s] [--retry-period=2s]
//                  [--initial-list=streaming|paginated]
//                  [--log-level=info] [--help]
//                  [the flags of every operator it can host: --ovn-nb=..., --notes-dir=DIR, ...]
//
// Exit codes: 0 after SIGTERM/SIGINT (leadership released at once), 1 on a startup error or
// when leadership is lost (a restart begins again from a clean state).
import {
  createLogger,
  loadKubeConfig,
  parseDuration,
  parseHostPort,
  parseLogLevel,
} from '../../controllers/index.ts';
import { Manager, stringFlag } from '../../controllers/manager/index.ts';
import { flagGroups, helpText, parseFlags } from './flags.ts';
import { operators, selectOperators } from './operators.ts';

function parseBool(flag: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error(`${flag} must be true or false, not "${value}"`);
}

async function main(): Promise<number> {
  const groups = flagGroups(operators);
  const values = parseFlags(process.argv.slice(2), groups);
  if (values.help === true) {
    process.stdout.write(helpText(groups));
    return 0;
  }
  const flag = (name: string) => stringFlag(values, name);
  const log = createLogger('kcloud-manager', parseLogLevel(flag('log-level')));
  const initialList = flag('initial-list');
  if (initialList !== 'paginated' && initialList !== 'streaming') {
    throw new Error(`--initial-list must be paginated or streaming, not "${initialList}"`);
  }
  const selected = selectOperators(flag('operators'));
  // Every operator's settings are checked before anything connects, so a bad flag of the
  // last operator does not leave the first one half started.
  const configured = selected.map((op) => ({ op, config: op.configure(values) }));
  const leaderElect = parseBool('--leader-elect', flag('leader-elect'));
  const mgr = new Manager({
    kubeconfig: loadKubeConfig(flag('kubeconfig') || undefined),
    log,
    identity: flag('identity'),
    health: parseHostPort('--health-addr', flag('health-addr')),
    initialList,
    ...(flag('namespace') ? { namespace: flag('namespace') } : {}),
    ...(leaderElect
      ? {
          leaderElection: {
            namespace: flag('leader-election-namespace'),
            name: flag('leader-election-id'),
            leaseDurationMs: parseDuration('--lease-duration', flag('lease-duration')),
            renewDeadlineMs: parseDuration('--renew-deadline', flag('renew-deadline')),
            retryPeriodMs: parseDuration('--retry-period', flag('retry-period')),
          },
        }
      : {}),
  });
  for (const { op, config } of configured) op.register(mgr, config);

  const stop = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      log.info('shutting down', { signal: sig });
      stop.abort(new Error(sig));
    });
  }
  log.info('kcloud-manager starting', {
    identity: flag('identity'),
    operators: selected.map((o) => o.name),
    leaderElect,
    healthAddr: flag('health-addr'),
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
