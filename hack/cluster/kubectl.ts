import { binary } from './layout.ts';
import { runTool, toolOutput } from './run-tool.ts';

export interface KubectlResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs the kubectl built by `make setup` (never one that happens to be on the machine). */
export async function kubectl(
  kubeconfig: string,
  args: string[],
  input?: string,
): Promise<KubectlResult> {
  const { stdout, stderr, code } = await runTool(
    binary('kubectl'),
    ['--kubeconfig', kubeconfig, ...args],
    input === undefined ? {} : { input },
  );
  return { stdout, stderr, code };
}

/** Like `kubectl`, but returns its output and throws with kubectl's message when it fails. */
export function kubectlOk(kubeconfig: string, args: string[], input?: string): Promise<string> {
  return toolOutput(binary('kubectl'), ['--kubeconfig', kubeconfig, ...args], {
    label: `kubectl ${args.join(' ')}`,
    missingHint: 'run `make setup`',
    ...(input === undefined ? {} : { input }),
  });
}
