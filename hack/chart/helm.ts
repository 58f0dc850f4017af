import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, type KubectlResult } from '../cluster/index.ts';
import { nodeBinary } from '../node/layout.ts';

/** The chart in this repository. */
export const chartDir = path.join(repoRoot, 'charts', 'kcloud');

/**
 * Runs the helm built by `make setup` against one cluster. Helm's own caches and settings go
 * under `home` so a run neither reads nor writes the user's ~/.config/helm.
 */
export function helm(
  kubeconfig: string,
  args: string[],
  opts: { home?: string; input?: string } = {},
): Promise<KubectlResult> {
  const bin = nodeBinary('helm');
  if (!existsSync(bin)) {
    return Promise.reject(new Error(`${bin} is missing: run \`make setup\``));
  }
  const home = opts.home ?? path.join(repoRoot, '.local', 'helm');
  const env = {
    ...process.env,
    KUBECONFIG: kubeconfig,
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_DATA_HOME: path.join(home, 'data'),
  };
  return new Promise((resolve) => {
    const child = execFile(bin, args, { env, maxBuffer: 64 * 2 ** 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ stdout, stderr, code });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Like `helm`, but a non-zero exit is an error carrying helm's message. */
export async function helmOk(
  kubeconfig: string,
  args: string[],
  opts: { home?: string; input?: string } = {},
): Promise<string> {
  const res = await helm(kubeconfig, args, opts);
  if (res.code !== 0) throw new Error(`helm ${args.join(' ')}: ${res.stderr.trim()}`);
  return res.stdout;
}
