import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  freePort,
  isOurs,
  repoRoot,
  startDetached,
  stopProcess,
  type RecordedProcess,
} from '../cluster/index.ts';
import { demoAgentKubeconfig, demoHost } from './agent-access.ts';
import { demoHostRootFlags } from './host-root.ts';
import { flagValue, managerFlags, type LeaderLease } from './flags.ts';
import { devPlaces } from './places.ts';

/** The kcloud processes the demo runs beside the control plane. */
export interface Service {
  name: 'kcloud-manager' | 'kcloud-agent';
  script: string;
  /** Its flags but --health-addr and the user's: other ones restart a running service. */
  flags: string[];
}

/** How the demo runs its agent. */
export interface AgentSetup {
  kubeconfig: string;
  hostRoot: string;
  stateDir: string;
  /** The ECS module's flags: where br-int and its database are (ecs.ts). */
  vmFlags: string[];
}

export const devAgentSetup: AgentSetup = {
  kubeconfig: demoAgentKubeconfig,
  hostRoot: devPlaces().hostRoot,
  stateDir: devPlaces().agentStateDir,
  vmFlags: [],
};

/** Where the demo's manager serves the quota webhook. */
export const demoWebhookPort = '9443';
/** Where it serves the audit API, behind the ExternalName Service run.ts makes. */
export const demoAuditPort = '9444';
export const demoAuditService = { namespace: 'kcloud-system', name: 'kcloud-audit' };

/** The API server's audit log the demo's manager serves (its cluster's). */
export const devAuditLog = path.join(devPlaces().cluster.auditDir, 'audit.log');

export function demoServices(
  agent: AgentSetup = devAgentSetup,
  auditLog: string = devAuditLog,
): Service[] {
  return [
    {
      name: 'kcloud-manager',
      script: path.join(repoRoot, 'operators/manager/main.ts'),
      // The manager runs beside the API server, on this machine: the API server calls the quota
      // webhook on loopback (docs/platform.md), and the audit API through a Service whose
      // ExternalName is this machine; the manager reads the API server's audit log
      // (docs/audit.md).
      flags: [
        `--webhook-addr=127.0.0.1:${demoWebhookPort}`,
        `--webhook-url=https://127.0.0.1:${demoWebhookPort}`,
        `--audit-log=${auditLog}`,
        `--audit-addr=127.0.0.1:${demoAuditPort}`,
        `--audit-service=${demoAuditService.namespace}/${demoAuditService.name}:${demoAuditPort}`,
      ],
    },
    {
      name: 'kcloud-agent',
      script: path.join(repoRoot, 'agent/main.ts'),
      // The host its certificate names (agent-access.ts): the admission policy allows no other.
      flags: [
        `--host-name=${demoHost}`,
        `--kubeconfig=${agent.kubeconfig}`,
        `--state-dir=${agent.stateDir}`,
        ...demoHostRootFlags(agent.hostRoot),
        ...agent.vmFlags,
      ],
    },
  ];
}

/** A service as the demo started it. */
export type ServiceProcess = RecordedProcess & {
  healthAddr: string;
  /** The flags the user gave (MANAGER_FLAGS, AGENT_FLAGS): other ones restart the service. */
  userFlags?: string[];
  /** The demo's own flags for it (Service.flags): other ones restart it too. */
  flags?: string[];
  /** The manager's leader Lease and the identity it holds it under. */
  lease?: LeaderLease;
};

interface DemoState {
  processes: ServiceProcess[];
}

/** Extra flags per service, as MANAGER_FLAGS and AGENT_FLAGS give them. */
export type ServiceFlags = Partial<Record<Service['name'], string[]>>;

function sameFlags(a: string[] | undefined, b: string[]): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b);
}

export const demoDir = devPlaces().dir;
const stateFile = (dir: string) => path.join(dir, 'state.json');

/** Another folder than the demo's, some of the services only, another agent: for tests. */
export interface ServicesScope {
  dir?: string;
  names?: Service['name'][];
  agent?: AgentSetup;
  /** The audit log of the cluster the services run against. */
  auditLog?: string;
}

export async function readDemoState(dir = demoDir): Promise<DemoState> {
  if (!existsSync(stateFile(dir))) return { processes: [] };
  return JSON.parse(await readFile(stateFile(dir), 'utf8')) as DemoState;
}

export function readyz(addr: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`http://${addr}/readyz`, { timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => {
      resolve(false);
    });
  });
}

/**
 * Starts the manager and the agent against `kubeconfig` unless they already run (by their
 * recorded PIDs) with the same extra `flags`, and waits until both report ready. One that
 * runs with other flags is restarted with these.
 */
export async function startServices(
  kubeconfig: string,
  log: (line: string) => void,
  env: Record<string, string> = {},
  flags: ServiceFlags = {},
  scope: ServicesScope = {},
): Promise<ServiceProcess[]> {
  const dir = scope.dir ?? demoDir;
  await mkdir(path.join(dir, 'logs'), { recursive: true });
  const state = await readDemoState(dir);
  const running: ServiceProcess[] = [];
  const record = () =>
    writeFile(stateFile(dir), JSON.stringify({ processes: running }, null, 2) + '\n');
  const chosen = demoServices(scope.agent, scope.auditLog).filter(
    (v) => scope.names?.includes(v.name) ?? true,
  );
  for (const svc of chosen) {
    const userFlags = flags[svc.name] ?? [];
    const existing = state.processes.find((p) => p.name === svc.name && isOurs(p));
    if (
      existing &&
      sameFlags(existing.userFlags, userFlags) &&
      sameFlags(existing.flags, svc.flags)
    ) {
      running.push(existing);
      continue;
    }
    if (existing) {
      const [was, now] = sameFlags(existing.userFlags, userFlags)
        ? [existing.flags ?? [], svc.flags]
        : [existing.userFlags ?? [], userFlags];
      log(
        `restarting ${svc.name} (pid ${existing.pid}): flags ${JSON.stringify(was)} → ${JSON.stringify(now)}`,
      );
      await stopProcess(existing);
    }
    const { flags: extra, lease } =
      svc.name === 'kcloud-manager'
        ? managerFlags(userFlags)
        : { flags: userFlags, lease: undefined };
    // A --health-addr of the user's comes last and wins, so the probe goes there too.
    const healthAddr = flagValue(extra, 'health-addr') ?? `127.0.0.1:${await freePort()}`;
    const proc = startDetached(
      svc.name,
      process.execPath,
      [svc.script, `--health-addr=${healthAddr}`, ...svc.flags, ...extra],
      path.join(dir, 'logs', `${svc.name}.log`),
      { ...process.env, ...env, KUBECONFIG: kubeconfig },
    );
    log(
      `started ${svc.name} (pid ${proc.pid}, health on ${healthAddr}${userFlags.length > 0 ? `, ${userFlags.join(' ')}` : ''})`,
    );
    running.push({
      ...proc,
      healthAddr,
      userFlags,
      flags: svc.flags,
      ...(lease ? { lease } : {}),
    });
    await record();
  }
  await record();

  for (const p of running) {
    const deadline = Date.now() + 60_000;
    while (!(await readyz(p.healthAddr))) {
      if (!isOurs(p)) {
        throw new Error(`${p.name} exited; see ${path.join(dir, 'logs', `${p.name}.log`)}`);
      }
      if (Date.now() > deadline) throw new Error(`${p.name} not ready within 60 s`);
      await sleep(200);
    }
  }
  return running;
}

/** Stops the demo's manager and agent by their recorded PIDs. */
export async function stopServices(log: (line: string) => void, dir = demoDir): Promise<void> {
  const state = await readDemoState(dir);
  for (const p of state.processes) {
    if (isOurs(p)) {
      await stopProcess(p);
      log(`stopped ${p.name} (pid ${p.pid})`);
    }
  }
  if (existsSync(stateFile(dir))) {
    await writeFile(stateFile(dir), JSON.stringify({ processes: [] }) + '\n');
  }
}
