import { execFile } from 'node:child_process';
import { StorageError, type StorageErrorReason } from './errors.ts';

/**
 * A command that failed: what ran, its exit code or signal, and its stderr. Commands always
 * run from an argument array (execFile, no shell), so no name or path is ever parsed twice.
 */
export class CommandError extends Error {
  readonly command: string;
  readonly exitCode: number | undefined;
  readonly stderr: string;
  readonly aborted: boolean;
  /** The program itself is missing (ENOENT from spawn). */
  readonly notInstalled: boolean;

  constructor(
    command: string,
    opts: { exitCode?: number; stderr: string; aborted: boolean; notInstalled: boolean },
    cause: unknown,
  ) {
    const detail = opts.stderr.trim() || (cause instanceof Error ? cause.message : String(cause));
    super(`${command}: ${detail}`, { cause });
    this.name = 'CommandError';
    this.command = command;
    this.exitCode = opts.exitCode;
    this.stderr = opts.stderr;
    this.aborted = opts.aborted;
    this.notInstalled = opts.notInstalled;
  }
}

export interface RunOptions {
  signal?: AbortSignal | undefined;
  env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this long: for reads of untrusted input that could block. */
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs `file args…` and resolves with its output, or rejects with a `CommandError`. */
export function run(
  file: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const command = [file, ...args].join(' ');
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        signal: opts.signal,
        timeout: opts.timeoutMs ?? 0,
        env: opts.env ?? process.env,
        // SIGKILL on abort: a copy that was asked to stop must not finish and publish.
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ stdout, stderr });
          return;
        }
        const e = err as NodeJS.ErrnoException & { code?: number | string };
        reject(
          new CommandError(
            command,
            {
              exitCode: typeof e.code === 'number' ? e.code : undefined,
              stderr,
              aborted: e.name === 'AbortError' || opts.signal?.aborted === true,
              notInstalled: e.code === 'ENOENT',
            },
            err,
          ),
        );
      },
    );
  });
}

/** Failures every command shares: aborted, not installed, out of space. */
export function commonReason(err: CommandError): StorageErrorReason | undefined {
  if (err.aborted) return 'Aborted';
  if (/No space left on device|ENOSPC/i.test(err.stderr)) return 'NoSpace';
  return undefined;
}

/** Turns anything a command threw into a StorageError (kept as is when it is one already). */
export function toStorageError(
  err: unknown,
  what: string,
  classify: (err: CommandError) => StorageErrorReason | undefined = () => undefined,
): StorageError {
  if (err instanceof StorageError) return err;
  if (err instanceof CommandError) {
    if (err.notInstalled) {
      return new StorageError(
        'BackendFailed',
        `${what}: ${err.command.split(' ')[0] ?? ''} is not installed on this host`,
        { cause: err },
      );
    }
    const reason = commonReason(err) ?? classify(err) ?? 'BackendFailed';
    const detail = reason === 'Aborted' ? 'aborted' : err.stderr.trim() || err.message;
    return new StorageError(reason, `${what}: ${detail}`, { cause: err });
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC')
    return new StorageError('NoSpace', `${what}: no space left`, { cause: err });
  if (code === 'ABORT_ERR' || (err instanceof Error && err.name === 'AbortError')) {
    return new StorageError('Aborted', `${what}: aborted`, { cause: err });
  }
  return new StorageError(
    'BackendFailed',
    `${what}: ${err instanceof Error ? err.message : String(err)}`,
    { cause: err },
  );
}
