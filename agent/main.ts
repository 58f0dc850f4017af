// kcloud-agent: one per hypervisor host. It will run VMs through QEMU/QMP, plug their NICs
// into OVS and prepare volumes; today it registers the host's heartbeat and serves health.
//
//   kcloud-agent [--kubeconfig=PATH] [--host-name=NAME] [--hosts-namespace=kcloud-hosts]
//                [--heartbeat-interval=10s] [--health-addr=HOST:PORT] [--log-level=info]
//
// Its credentials name its host (docs/rbac.md): a service-account token bound to its pod, whose
// node is the host, or a client certificate for kcloud:agent:<host>. The admission policy lets
// it write only that host's objects, so --host-name must be that host.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import {
  ApiClient,
  coordinationLeaseClient,
  createLogger,
  errorMessage,
  loadKubeConfig,
  parseDuration,
  parseHostPort,
  parseLogLevel,
  startHealthServer,
} from '../controllers/index.ts';
import { leaseName, renewLease } from './heartbeat/lease.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      'host-name': { type: 'string', default: os.hostname() },
      'hosts-namespace': { type: 'string', default: 'kcloud-hosts' },
      'heartbeat-interval': { type: 'string', default: '10s' },
      'health-addr': { type: 'string', default: '127.0.0.1:8082' },
      'log-level': { type: 'string', default: 'info' },
    },
    strict: true,
  });
  const log = createLogger('kcloud-agent', parseLogLevel(values['log-level']));
  const intervalMs = parseDuration('--heartbeat-interval', values['heartbeat-interval']);
  const hostName = values['host-name'];
  // Its API calls are counted in rest_client_requests_total on /metrics, like the manager's.
  const registry = new Registry();
  const api = new ApiClient(loadKubeConfig(values.kubeconfig), registry);
  const leases = coordinationLeaseClient(api);
  const opts = {
    namespace: values['hosts-namespace'],
    hostName,
    leaseDurationSeconds: Math.ceil((intervalMs * 4) / 1000),
  };

  let lastBeat = 0;
  const beat = async () => {
    try {
      await renewLease(leases, opts);
      if (lastBeat === 0)
        log.info('heartbeat registered', { lease: `${opts.namespace}/${leaseName(hostName)}` });
      lastBeat = Date.now();
    } catch (err) {
      log.warn('heartbeat failed', { error: errorMessage(err) });
    }
  };
  await beat();
  const timer = setInterval(() => void beat(), intervalMs);

  const server = await startHealthServer({
    ...parseHostPort('--health-addr', values['health-addr']),
    registry,
    liveness: [{ name: 'ping', check: () => true }],
    // Ready while the last heartbeat is fresher than two intervals.
    readiness: [{ name: 'heartbeat', check: () => Date.now() - lastBeat < 2 * intervalMs }],
  });
  log.info('kcloud-agent started', { hostName, healthAddr: values['health-addr'] });

  const shutdown = (signal: string) => {
    log.info('shutting down', { signal });
    clearInterval(timer);
    void api.close();
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
  createLogger('kcloud-agent').error('kcloud-agent failed to start', {
    error: err instanceof Error ? err.message : String(err),
  });
  process.exit(1);
});
