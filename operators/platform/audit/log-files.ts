// The audit log as the API server leaves it: the current file and the backups it rotated out
// (`audit-2026-12-06T01-02-03.000.log`, gzipped when --audit-log-compress is on), read oldest
// first so that records come in the order they were written.
import { createReadStream, existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

/** The files of the audit log at `logPath`, oldest first; the current file last. */
export async function auditLogFiles(logPath: string): Promise<string[]> {
  const dir = path.dirname(logPath);
  const ext = path.extname(logPath);
  const stem = path.basename(logPath, ext);
  if (!existsSync(dir)) throw new Error(`no audit log: ${dir} does not exist`);
  const backup = new RegExp(
    `^${escape(stem)}-(\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}\\.\\d{3})${escape(ext)}(\\.gz)?$`,
  );
  const backups = (await readdir(dir))
    .map((name) => ({ name, at: backup.exec(name)?.[1] }))
    .filter((b): b is { name: string; at: string } => b.at !== undefined)
    // The timestamp in the name sorts as text.
    .sort((a, b) => a.at.localeCompare(b.at))
    .map((b) => path.join(dir, b.name));
  const files = existsSync(logPath) ? [...backups, logPath] : backups;
  if (files.length === 0) throw new Error(`no audit log: neither ${logPath} nor its backups exist`);
  return files;
}

/** Each non-empty line of the files, in order. */
export async function* auditLogLines(files: readonly string[]): AsyncGenerator<string> {
  for (const file of files) {
    const raw = createReadStream(file);
    const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      if (line.trim() !== '') yield line;
    }
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
