// The agent's identity and rights in a cluster without the chart (make demo, the integration
// tests): a client certificate that names its host, and the hosts namespace, Role and admission
// policy of agent/access.
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import {
  agentAccessManifests,
  agentGroup,
  agentUser,
  simulatorGroup,
  simulatorUser,
  type AgentAccessOptions,
} from '../../agent/access/index.ts';
import { kubectlOk, repoRoot } from '../cluster/index.ts';
import { writeKubeconfig } from '../cluster/kubeconfig.ts';
import { pkiPaths, signClientCert } from '../cluster/pki.ts';

/** The demo's one host, and the kubeconfig its agent runs with. */
export const demoHost = 'local-host-1';
export const demoAgentKubeconfig = path.join(
  repoRoot,
  '.local',
  'demo',
  `agent-${demoHost}.kubeconfig`,
);

/** The demo's hosts namespace and admission policy: no service-account agents. */
export const demoAgentAccess: AgentAccessOptions = {
  name: 'kcloud-agent-host',
  hostsNamespace: 'kcloud-hosts',
  serviceAccounts: [],
};

/**
 * Creates (or updates) the hosts namespace, the agents' Role and ClusterRole and the admission
 * policy.
 */
export async function applyAgentAccess(
  kubeconfig: string,
  opts: AgentAccessOptions,
): Promise<void> {
  const list = { apiVersion: 'v1', kind: 'List', items: agentAccessManifests(opts) };
  await kubectlOk(
    kubeconfig,
    ['apply', '--server-side', '--field-manager=kcloud-agent-access', '-f', '-'],
    JSON.stringify(list),
  );
}

/**
 * A kubeconfig for the agent of `host`, `<dir>/agent-<host>.kubeconfig`: a client certificate
 * for `kcloud:agent:<host>` in `kcloud:agents`, signed by the cluster's CA, against the same
 * API server as `adminKubeconfig`. With `simulator`, `<dir>/simulator-<host>.kubeconfig` for
 * `kcloud:simulator:<host>` in `kcloud:simulators`: the agent run with --host-name=<host>
 * --simulate=N, which may write the simulated hosts <host>-sim-<n> only.
 */
export async function writeAgentKubeconfig(
  pkiDir: string,
  adminKubeconfig: string,
  dir: string,
  host: string,
  opts: { simulator?: boolean } = {},
): Promise<string> {
  const config = parse(await readFile(adminKubeconfig, 'utf8')) as {
    clusters?: { cluster?: { server?: string } }[];
  };
  const server = config.clusters?.[0]?.cluster?.server;
  if (!server) throw new Error(`${adminKubeconfig} names no API server`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pki = pkiPaths(pkiDir);
  const name = opts.simulator ? `simulator-${host}` : `agent-${host}`;
  const user = opts.simulator ? simulatorUser(host) : agentUser(host);
  await signClientCert(pki, dir, name, user, [opts.simulator ? simulatorGroup : agentGroup]);
  const file = path.join(dir, `${name}.kubeconfig`);
  await writeKubeconfig(file, server, pki, {
    name: user,
    cert: path.join(dir, `${name}.crt`),
    key: path.join(dir, `${name}.key`),
  });
  return file;
}
