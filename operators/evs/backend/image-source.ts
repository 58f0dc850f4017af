import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StorageError } from './errors.ts';
import { toStorageError } from './exec.ts';

/** An import's bytes, on a local file qemu-img can read, with their sha256. */
export interface StagedSource {
  path: string;
  sha256: string;
  /** True when the file is a download of ours, to remove once converted. */
  downloaded: boolean;
}

function hashing(
  hash: ReturnType<typeof createHash>,
  counted?: (bytes: number) => void,
): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      counted?.(chunk.length);
      done(null, chunk);
    },
  });
}

export async function sha256OfFile(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done();
    },
  });
  await pipeline(createReadStream(file), sink, { signal });
  return hash.digest('hex');
}

/** Streams `url` into `dest`, hashing while writing: the bytes are read once. */
export async function download(
  url: string,
  dest: string,
  signal?: AbortSignal,
): Promise<{ sha256: string; bytes: number }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StorageError('InvalidSource', `${url} is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new StorageError(
      'InvalidSource',
      `${parsed.protocol} URLs cannot be imported; use http or https`,
    );
  }
  let response: Response;
  try {
    response = await fetch(parsed, { signal, redirect: 'follow' });
  } catch (err) {
    if (signal?.aborted)
      throw new StorageError('Aborted', `download of ${url}: aborted`, { cause: err });
    const cause = (err as { cause?: { message?: string } }).cause;
    throw new StorageError(
      'SourceUnreachable',
      `cannot reach ${url}: ${cause?.message ?? (err as Error).message}`,
      { cause: err },
    );
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new StorageError(
      'SourceUnreachable',
      `${url} answered ${String(response.status)} ${response.statusText}`,
    );
  }
  const hash = createHash('sha256');
  let bytes = 0;
  const counter = hashing(hash, (n) => (bytes += n));
  try {
    await pipeline(
      Readable.fromWeb(response.body),
      counter,
      createWriteStream(dest, { flags: 'wx', mode: 0o600 }),
      { signal },
    );
  } catch (err) {
    await rm(dest, { force: true });
    throw toStorageError(err, `download of ${url}`);
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * A host path is read only under one of `roots` (after resolving symlinks): otherwise any
 * user who may create an Image could read any file of the host.
 */
export async function allowedLocalFile(file: string, roots: readonly string[]): Promise<string> {
  if (!path.isAbsolute(file)) {
    throw new StorageError('InvalidSource', `${file} is not an absolute path`);
  }
  let real: string;
  try {
    real = await realpath(file);
  } catch (err) {
    throw new StorageError('NotFound', `${file} does not exist on this host`, { cause: err });
  }
  for (const root of roots) {
    let realRoot: string;
    try {
      realRoot = await realpath(root);
    } catch {
      continue;
    }
    if (real.startsWith(realRoot + path.sep)) {
      if (!(await stat(real)).isFile()) {
        throw new StorageError('InvalidSource', `${file} is not a regular file`);
      }
      return real;
    }
  }
  throw new StorageError(
    'PathNotAllowed',
    `${file} is outside the directories images may be imported from (${roots.join(', ') || 'none configured'})`,
  );
}

/** Fetches or finds the source and checks its sha256 when one is expected. */
export async function stageSource(
  source: { kind: 'Url'; url: string } | { kind: 'File'; path: string },
  opts: { downloadTo: string; importRoots: readonly string[]; sha256?: string | undefined },
  signal?: AbortSignal,
): Promise<StagedSource> {
  let staged: StagedSource;
  if (source.kind === 'Url') {
    const { sha256 } = await download(source.url, opts.downloadTo, signal);
    staged = { path: opts.downloadTo, sha256, downloaded: true };
  } else {
    const file = await allowedLocalFile(source.path, opts.importRoots);
    staged = { path: file, sha256: await sha256OfFile(file, signal), downloaded: false };
  }
  const expected = opts.sha256?.toLowerCase();
  if (expected !== undefined && expected !== staged.sha256) {
    await unstage(staged);
    throw new StorageError(
      'ChecksumMismatch',
      `the source's sha256 is ${staged.sha256}, not the declared ${expected}; check the URL or the checksum`,
    );
  }
  return staged;
}

export async function unstage(staged: StagedSource): Promise<void> {
  if (staged.downloaded) await rm(staged.path, { force: true });
}
