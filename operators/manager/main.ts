// kcloud-manager: one process hosting the product operators.
//
//   kcloud-manager [--kubeconfig=PATH] [--operators=vpc,eip,...] [--health-addr=HOST:PORT]
//                  [--log-level=info]
//
// The operators register here as their issues land; until then the manager connects to the
// API server, serves /healthz, /readyz (ready when the API server answers) and /metrics.
import { parseArgs } from 'node:util';
import { VersionApi } from '@kubernetes/client-node';
import {
  createLogger,
  loadKubeConfig,
  parseHostPort,
  parseLogLevel,
  startHealthServer,
} from '../../controllers/index.ts';
import { operatorNames, selectOperators } from './operators.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      operators: { type: 'string', default: 'all' },
      'health-addr': { type: 'string', default: '127.0.0.1:8081' },
      'log-level': { type: 'string', default: 'info' },
    },
    strict: true,
  });
  const log = createLogger('kcloud-manager', parseLogLevel(values['log-level']));
  const operators = selectOperators(values.operators);
  const kc = loadKubeConfig(values.kubeconfig);
  const version = kc.makeApiClient(VersionApi);

  const server = await startHealthServer({
    ...parseHostPort('--health-addr', values['health-addr']),
    liveness: [{ name: 'ping', check: () => true }],
    readiness: [
      {
        name: 'apiserver',
        check: async () => (await version.getCode()).gitVersion !== '',
      },
    ],
  });
  const serverVersion = (await version.getCode()).gitVersion;
  log.info('kcloud-manager started', {
    apiserver: kc.getCurrentCluster()?.server,
    serverVersion,
    operators,
    available: operatorNames,
    healthAddr: values['health-addr'],
  });

  const shutdown = (signal: string) => {
    log.info('shutting down', { signal });
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.once('SIGTERM', () => {
    shutdown('SIGTERM');
  });
  process.once('SIGINT', () => {
    shutdown('SIGINT');
  });
}

main().catch((err: unknown) => {
  createLogger('kcloud-manager').error('kcloud-manager failed to start', {
    error: err instanceof Error ? err.message : String(err),
  });
  process.exit(1);
});
