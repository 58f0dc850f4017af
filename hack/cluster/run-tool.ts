// Running the command-line tools hack/ drives (kubectl, helm, ovn-nbctl, git, tar, openssl, ...):
// one place that captures their output, feeds their input, kills the ones that hang, and turns
// a tool that is missing or fails into an error that says which and why.
import { execFile } from 'node:child_process';
import path from 'node:path';

export interface ToolResult {
  stdout: string;
  stderr: string;
  /** The exit code; 1 as well when the tool was killed or could not start. */
  code: number;
  /** The program does not exist. */
  missing: boolean;
}

export interface ToolOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the tool's standard input. */
  input?: string;
  /** A backstop for tools without a timeout of their own. */
  killAfterMs?: number;
  maxBuffer?: number;
}

/** Runs a tool to completion; never rejects: the result's code and `missing` tell. */
export function runTool(file: string, args: string[], opts: ToolOptions = {}): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      {
        maxBuffer: opts.maxBuffer ?? 64 * 2 ** 20,
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
        ...(opts.killAfterMs ? { timeout: opts.killAfterMs } : {}),
      },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ stdout, stderr, code: 0, missing: false });
          return;
        }
        const killed = err.killed ? `\nkilled after ${String(opts.killAfterMs)} ms` : '';
        const missing = err.code === 'ENOENT';
        resolve({
          stdout,
          stderr: (missing ? err.message : stderr) + killed,
          code: typeof err.code === 'number' ? err.code : 1,
          missing,
        });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export interface CheckedToolOptions extends ToolOptions {
  /** Said when the program is missing, e.g. "run `make setup`". */
  missingHint?: string;
  /** Said after the tool's own message when it fails. */
  failureHint?: string;
  /** How the command is named in errors; the program and its arguments by default. */
  label?: string;
}

/** Runs a tool and returns its standard output; a missing program or a failure throws. */
export async function toolOutput(
  file: string,
  args: string[],
  opts: CheckedToolOptions = {},
): Promise<string> {
  const res = await runTool(file, args, opts);
  if (res.missing) {
    throw new Error(`${file} is not installed${opts.missingHint ? `: ${opts.missingHint}` : ''}`);
  }
  if (res.code !== 0) {
    const label = opts.label ?? `${path.basename(file)} ${args.join(' ')}`;
    const hint = opts.failureHint ? ` (${opts.failureHint})` : '';
    throw new Error(`${label} failed${hint}: ${(res.stderr || res.stdout).trim()}`);
  }
  return res.stdout;
}
