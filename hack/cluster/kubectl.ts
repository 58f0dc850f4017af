import { execFile } from 'node:child_process';
import { binary } from './layout.ts';

export interface KubectlResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs the kubectl built by `make setup` (never one that happens to be on the machine). */
export function kubectl(
  kubeconfig: string,
  args: string[],
  input?: string,
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      binary('kubectl'),
      ['--kubeconfig', kubeconfig, ...args],
      { maxBuffer: 64 * 2 ** 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ stdout, stderr, code });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}
