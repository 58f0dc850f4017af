// kcloud-agent: one per hypervisor host, a controller process on the shared runtime. It
// registers the host's Host (capacity, CPU, hypervisor, topology), keeps its heartbeat Lease,
// and runs the host modules of the products (agent/host-modules.ts), each watching only the
// objects bound to this host (label ecs.kcloud.io/host=<host>). `kcloud-agent --help` lists
// every flag, the modules' included.
//
// Its credentials name its host (docs/rbac.md): a service-account token bound to its pod, whose
// node is the host, or a client certificate for kcloud:agent:<host>. The admission policy lets
// it write only that host's objects, so --host-name must be that host. With --simulate=N it
// answers for N simulated hosts <host-name>-sim-<i> instead, as kcloud:simulator:<host-name>
// (docs/hosts.md): a benchmark device.
//
// Exit codes: 0 after SIGTERM/SIGINT, 1 on a startup error.
import path from 'node:path';
import {
  coordinationLeaseClient,
  createLogger,
  errorMessage,
  loadKubeConfig,
  parseHostPort,
  realClock,
} from '../controllers/index.ts';
import { helpText, Manager, parseFlags } from '../controllers/manager/index.ts';
import { hostLabel, simulatedLabel, topologyLabels } from '../operators/ecs/api/index.ts';
import { agentEventPrefix } from './access/host-policy.ts';
import { appVersion } from './app-root.ts';
import { agentFlagGroups, configureAgent, type AgentConfig } from './flags.ts';
import { Heartbeats } from './heartbeat/heartbeats.ts';
import { hostModules } from './host-modules.ts';
import { decideHypervisor, machineFacts } from './host/facts.ts';
import { hostNames, hostScope } from './host/names.ts';
import { addHostRegistration } from './host/registration.ts';
import { agentStatus } from './host/report.ts';
import type { HostModuleContext } from './modules/index.ts';

function hostLabels(config: AgentConfig, host: string): Record<string, string> {
  const { zone, rack, hostGroup } = config.topology;
  return {
    [hostLabel]: host,
    ...(zone ? { [topologyLabels.zone]: zone } : {}),
    ...(rack ? { [topologyLabels.rack]: rack } : {}),
    ...(hostGroup ? { [topologyLabels.hostGroup]: hostGroup } : {}),
    ...(config.simulate > 0 ? { [simulatedLabel]: 'true' } : {}),
  };
}

async function main(): Promise<number> {
  const groups = agentFlagGroups(hostModules);
  const values = parseFlags(process.argv.slice(2), groups);
  if (values.help === true) {
    process.stdout.write(helpText('kcloud-agent', groups));
    return 0;
  }
  const config = configureAgent(values);
  // Every module's settings are checked before anything connects.
  const modules = hostModules.map((m) => ({ m, settings: m.configure(values) }));
  const log = createLogger('kcloud-agent', config.logLevel);
  const hosts = hostNames(config.hostName, config.simulate);
  const simulated = config.simulate > 0;
  const scope = hostScope(hosts);

  // The heartbeats need the manager's API client; the manager's readiness needs them.
  const heartbeat = { fresh: () => false };
  const mgr = new Manager({
    kubeconfig: loadKubeConfig(config.kubeconfig),
    log,
    // Its Events' reportingInstance: admission lets it write only those naming its host (a
    // simulator's name no host of its own: its Events name its first simulated host).
    identity: `${agentEventPrefix}${hosts[0] ?? config.hostName}`,
    health: parseHostPort('--health-addr', config.healthAddr),
    // Ready while every host's heartbeat is fresher than two intervals.
    readiness: [{ name: 'heartbeat', check: () => heartbeat.fresh() }],
  });
  const heartbeats = new Heartbeats({
    client: coordinationLeaseClient(mgr.api),
    namespace: config.hostsNamespace,
    hosts,
    intervalMs: config.heartbeatIntervalMs,
    ...(simulated ? { labels: { [simulatedLabel]: 'true' } } : {}),
    clock: realClock,
    log,
  });
  heartbeat.fresh = () => heartbeats.fresh();

  const facts = await machineFacts({
    cpuOvercommit: config.cpuOvercommit,
    reservedMemoryBytes: config.reservedMemoryBytes,
    agentVersion: appVersion(),
  });
  const registration = addHostRegistration(mgr, {
    hosts,
    scope,
    labelsOf: (host) => hostLabels(config, host),
    // Simulated hosts share this machine's facts: one probe for all of them.
    statusOf: () => agentStatus(facts),
  });
  for (const { m, settings } of modules) {
    const ctx: HostModuleContext = {
      mgr,
      hosts,
      simulated,
      informer: (ref, opts = {}) => mgr.informer(ref, { ...opts, ...scope }),
      fieldManager: `kcloud-agent-${m.name}`,
      stateDir: path.join(config.stateDir, m.name),
      hostsNamespace: config.hostsNamespace,
    };
    m.register(ctx, settings);
  }

  const stop = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      log.info('shutting down', { signal: sig });
      stop.abort(new Error(sig));
    });
  }
  log.info('kcloud-agent starting', {
    hosts: simulated ? `${String(hosts.length)} simulated (${hosts[0] ?? ''} …)` : config.hostName,
    modules: modules.map(({ m }) => m.name),
    healthAddr: config.healthAddr,
  });
  void decideHypervisor(
    facts,
    config.hypervisor,
    { guest: config.probeGuest, stateDir: config.stateDir },
    log,
    () => {
      registration.refresh();
    },
  );
  const beating = heartbeats.run(stop.signal);
  await mgr.run(stop.signal);
  await beating;
  log.info('kcloud-agent stopped');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    createLogger('kcloud-agent').error('kcloud-agent failed', { error: errorMessage(err) });
    process.exit(1);
  },
);
