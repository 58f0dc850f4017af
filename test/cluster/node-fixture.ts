// What the node test files share: the control plane they add a node to, a lock so that they
// take turns (the node's interface, address and kube-proxy table are machine-wide names), and
// kubectl that throws.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  down as clusterDown,
  kubectlOk,
  repoRoot,
  runLayout,
  up as clusterUp,
  type RunLayout,
} from '../../hack/cluster/index.ts';
import { acquirePidLock, releasePidLock } from '../../hack/cluster/pid-lock.ts';
import { envKeys } from '../harness/env.ts';

const nodeLock = path.join(repoRoot, '.local', 'test-runs', 'node.lock');

export interface NodeTestCluster {
  cluster: RunLayout;
  /** Set when the file had to start a control plane of its own. */
  ownDir?: string;
}

/**
 * The integration run's control plane, or (when the run uses an existing cluster through
 * KCLOUD_TEST_KUBECONFIG, which gives no CA key to sign the node's certificates with) one of
 * the file's own.
 */
export async function nodeTestCluster(prefix: string): Promise<NodeTestCluster> {
  const shared = process.env[envKeys.runDir];
  if (shared) return { cluster: runLayout(shared) };
  const base = path.join(repoRoot, '.local', 'test-runs');
  await mkdir(base, { recursive: true });
  const ownDir = await mkdtemp(path.join(base, `${prefix}-cluster-`));
  const cluster = runLayout(ownDir);
  await clusterUp(cluster, { unsafeNoFsync: true });
  return { cluster, ownDir };
}

export async function releaseNodeTestCluster(c: NodeTestCluster): Promise<void> {
  if (!c.ownDir) return;
  await clusterDown(c.cluster, { purge: true });
  await rm(c.ownDir, { recursive: true, force: true });
}

/** Waiting can take as long as another node file's whole run. */
export function acquireNodeLock(): Promise<void> {
  return acquirePidLock(nodeLock, { timeoutMs: 40 * 60_000 });
}

export function releaseNodeLock(): Promise<void> {
  return releasePidLock(nodeLock);
}

/** kubectl on one cluster that throws with kubectl's message, and its JSON form. */
export function kubectlOn(cluster: () => RunLayout) {
  const k = (args: string[], input?: string): Promise<string> =>
    kubectlOk(cluster().kubeconfig, args, input);
  const getJson = async <T>(args: string[]): Promise<T> =>
    JSON.parse(await k([...args, '-o', 'json'])) as T;
  return { k, getJson };
}
