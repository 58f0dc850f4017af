// kcloud-agent: one per hypervisor host. It will run VMs through QEMU/QMP, plug their NICs
// into OVS and prepare volumes; today it registers the host's heartbeat and serves health.
//
//   kcloud-agent [--kubeconfig=PATH] [--host-name=NAME] [--namespace=kcloud-system]
//                [--heartbeat-interval=10s] [--health-addr=HOST:PORT] [--log-level=info]
import os from 'node:os';
import { parseArgs } from 'node:util';
import { CoordinationV1Api } from '@kubernetes/client-node';
import {
  createLogger,
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
      namespace: { type: 'string', default: 'kcloud-system' },
      'heartbeat-interval': { type: 'string', default: '10s' },
      'health-addr': { type: 'string', default: '127.0.0.1:8082' },
      'log-level': { type: 'string', default: 'info' },
    },
    strict: true,
  });
  const log = createLogger('kcloud-agent', parseLogLevel(values['log-level']));
  const intervalMs = parseDuration('--heartbeat-interval', values['heartbeat-interval']);
  const hostName = values['host-name'];
  const api = loadKubeConfig(values.kubeconfig).makeApiClient(CoordinationV1Api);
  const opts = {
    namespace: values.namespace,
    hostName,
    leaseDurationSeconds: Math.ceil((intervalMs * 4) / 1000),
  };

  let lastBeat = 0;
  const beat = async () => {
    try {
      await renewLease(api, opts);
      if (lastBeat === 0)
        log.info('heartbeat registered', { lease: `${opts.namespace}/${leaseName(hostName)}` });
      lastBeat = Date.now();
    } catch (err) {
      log.warn('heartbeat failed', { error: err instanceof Error ? err.message : String(err) });
    }
  };
  await beat();
  const timer = setInterval(() => void beat(), intervalMs);

  const server = await startHealthServer({
    ...parseHostPort('--health-addr', values['health-addr']),
    liveness: [{ name: 'ping', check: () => true }],
    // Ready while the last heartbeat is fresher than two intervals.
    readiness: [{ name: 'heartbeat', check: () => Date.now() - lastBeat < 2 * intervalMs }],
  });
  log.info('kcloud-agent started', { hostName, healthAddr: values['health-addr'] });

  const shutdown = (signal: string) => {
    log.info('shutting down', { signal });
    clearInterval(timer);
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
