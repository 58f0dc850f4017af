import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, runTool, toolOutput, type KubectlResult } from '../cluster/index.ts';
import { nodeBinary } from '../node/layout.ts';

/** The chart in this repository. */
export const chartDir = path.join(repoRoot, 'charts', 'kcloud');

interface HelmOptions {
  home?: string;
  input?: string;
}

/**
 * The helm built by `make setup`, against one cluster. Helm's own caches and settings go under
 * `home` so a run neither reads nor writes the user's ~/.config/helm.
 */
function helmCommand(kubeconfig: string, opts: HelmOptions) {
  const bin = nodeBinary('helm');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`make setup\``);
  const home = opts.home ?? path.join(repoRoot, '.local', 'helm');
  const env = {
    ...process.env,
    KUBECONFIG: kubeconfig,
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_DATA_HOME: path.join(home, 'data'),
  };
  return { bin, env, ...(opts.input === undefined ? {} : { input: opts.input }) };
}

/** Runs helm; never rejects for helm's own failures: the exit code tells. */
export async function helm(
  kubeconfig: string,
  args: string[],
  opts: HelmOptions = {},
): Promise<KubectlResult> {
  const { bin, ...run } = helmCommand(kubeconfig, opts);
  const { stdout, stderr, code } = await runTool(bin, args, run);
  return { stdout, stderr, code };
}

/** Like `helm`, but a non-zero exit is an error carrying helm's message. */
export async function helmOk(
  kubeconfig: string,
  args: string[],
  opts: HelmOptions = {},
): Promise<string> {
  const { bin, ...run } = helmCommand(kubeconfig, opts);
  return toolOutput(bin, args, { ...run, label: `helm ${args.join(' ')}` });
}
