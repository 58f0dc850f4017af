import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file (source or compiled) with package.json. */
export const repoRoot = findRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

/** Where `make setup` puts the control-plane binaries it builds. */
export function binDir(): string {
  return process.env.KCLOUD_BIN_DIR ?? path.join(repoRoot, '.local', 'bin');
}

export function binary(name: ControlPlaneBinary): string {
  return path.join(binDir(), name);
}

export type ControlPlaneBinary = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kubectl';

/** kcloud's audit policy, generated from the kinds (npm run generate), as the chart ships it. */
export const auditPolicyFile = path.join(
  repoRoot,
  'charts',
  'kcloud',
  'files',
  'audit',
  'policy.yaml',
);

/** Everything one cluster owns lives under its run folder; nothing is written elsewhere. */
export interface RunLayout {
  runDir: string;
  pkiDir: string;
  logDir: string;
  /** The API server's audit log and the backups it rotates out. */
  auditDir: string;
  etcdDataDir: string;
  stateFile: string;
  kubeconfig: string;
  controllerManagerKubeconfig: string;
}

export function runLayout(runDir: string, kubeconfig?: string): RunLayout {
  return {
    runDir,
    pkiDir: path.join(runDir, 'pki'),
    logDir: path.join(runDir, 'logs'),
    auditDir: path.join(runDir, 'audit'),
    etcdDataDir: path.join(runDir, 'etcd'),
    stateFile: path.join(runDir, 'state.json'),
    kubeconfig: kubeconfig ?? path.join(runDir, 'kubeconfig'),
    controllerManagerKubeconfig: path.join(runDir, 'pki', 'controller-manager.kubeconfig'),
  };
}

/** The cluster `make up` and `make demo` share; tests start their own elsewhere. */
export function devLayout(): RunLayout {
  return runLayout(
    path.join(repoRoot, '.local', 'cluster'),
    path.join(repoRoot, '.local', 'kubeconfig'),
  );
}
