// A checkout as a user has it, for the documentation's commands: every top-level entry of the
// repository linked in, but `.local/kubeconfig` and `~/.kube/config` are the test cluster's
// (with the test's namespace as the default), so `export KUBECONFIG=$PWD/.local/kubeconfig`
// and `--kubeconfig ~/.kube/config` reach the test cluster, never a developer's own; and
// `.local/cluster/audit` is the test cluster's audit log.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { binary, repoRoot } from '../../../hack/cluster/index.ts';
import { runTool } from '../../../hack/cluster/index.ts';
import { envKeys } from '../../harness/env.ts';

export interface Sandbox {
  dir: string;
  home: string;
  kubeconfig: string;
}

export async function makeSandbox(
  dir: string,
  testKubeconfig: string,
  namespace: string,
): Promise<Sandbox> {
  for (const entry of await readdir(repoRoot)) {
    if (entry === '.local') continue;
    await symlink(path.join(repoRoot, entry), path.join(dir, entry));
  }
  const local = path.join(dir, '.local');
  await mkdir(local);
  for (const entry of ['bin', 'node']) {
    await symlink(path.join(repoRoot, '.local', entry), path.join(local, entry));
  }
  const runDir = process.env[envKeys.runDir];
  await mkdir(path.join(local, 'cluster'));
  await symlink(
    runDir ? path.join(runDir, 'audit') : path.join(repoRoot, '.local', 'cluster', 'audit'),
    path.join(local, 'cluster', 'audit'),
  );
  const kubeconfig = path.join(local, 'kubeconfig');
  await copyFile(testKubeconfig, kubeconfig);
  const set = await runTool(binary('kubectl'), [
    '--kubeconfig',
    kubeconfig,
    'config',
    'set-context',
    '--current',
    `--namespace=${namespace}`,
  ]);
  if (set.code !== 0) throw new Error(`kubectl config set-context: ${set.stderr}`);
  const home = path.join(dir, 'home');
  await mkdir(path.join(home, '.kube'), { recursive: true });
  await copyFile(kubeconfig, path.join(home, '.kube', 'config'));
  return { dir, home, kubeconfig };
}

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a bash script in the sandbox, as a user's shell at the root of the checkout. */
export function runScript(
  sandbox: Sandbox,
  script: string,
  env: Record<string, string>,
  timeoutMs = 300_000,
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-s'], {
      cwd: sandbox.dir,
      env: {
        ...process.env,
        ...env,
        HOME: sandbox.home,
        PWD: sandbox.dir,
        KUBECONFIG: sandbox.kubeconfig,
        PATH: [
          path.join(repoRoot, '.local', 'node', 'bin'),
          path.join(repoRoot, '.local', 'bin'),
          process.env.PATH ?? '',
        ].join(':'),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      stderr += `\n(killed after ${String(timeoutMs / 1000)} s)`;
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(script);
  });
}
