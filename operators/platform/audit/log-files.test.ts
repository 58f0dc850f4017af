import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { auditLogFiles, auditLogLines } from './log-files.ts';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-audit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the audit log files', () => {
  it('reads the rotated backups oldest first, gzipped or not, then the current file', async () => {
    await writeFile(path.join(dir, 'audit.log'), 'current\n');
    await writeFile(path.join(dir, 'audit-2026-12-06T02-00-00.000.log'), 'second\n\n');
    await writeFile(
      path.join(dir, 'audit-2026-12-05T23-59-59.999.log.gz'),
      gzipSync('first a\nfirst b\n'),
    );
    await writeFile(path.join(dir, 'other-2026-12-06T02-00-00.000.log'), 'not ours\n');
    await writeFile(path.join(dir, 'audit.log.bak'), 'not ours\n');
    const files = await auditLogFiles(path.join(dir, 'audit.log'));
    expect(files.map((f) => path.basename(f))).toEqual([
      'audit-2026-12-05T23-59-59.999.log.gz',
      'audit-2026-12-06T02-00-00.000.log',
      'audit.log',
    ]);
    const lines: string[] = [];
    for await (const l of auditLogLines(files)) lines.push(l);
    expect(lines).toEqual(['first a', 'first b', 'second', 'current']);
  });

  it('says so when there is no log', async () => {
    await expect(auditLogFiles(path.join(dir, 'audit.log'))).rejects.toThrow(
      /no audit log: neither .*audit\.log nor its backups exist/,
    );
    await expect(auditLogFiles(path.join(dir, 'none', 'audit.log'))).rejects.toThrow(
      /no audit log: .*none does not exist/,
    );
  });
});
