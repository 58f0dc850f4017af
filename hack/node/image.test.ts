import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from '@jest/globals';
import { dockerArchive, tarArchive } from './image.ts';

const run = promisify(execFile);
let dir = '';

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function extract(archive: Buffer): Promise<string> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'image-test-'));
  await writeFile(path.join(dir, 'a.tar'), archive);
  await run('tar', ['-xf', 'a.tar'], { cwd: dir });
  return dir;
}

describe('the image writer', () => {
  it('writes a tar that GNU tar reads, with modes, parent folders and odd sizes', async () => {
    const big = Buffer.alloc(1000, 7);
    const out = await extract(
      tarArchive([
        { path: 'bin/tool', mode: 0o755, content: Buffer.from('#!/bin/sh\n') },
        { path: 'data/deep/blob', mode: 0o644, content: big },
      ]),
    );
    expect(await readFile(path.join(out, 'bin/tool'), 'utf8')).toBe('#!/bin/sh\n');
    expect((await stat(path.join(out, 'bin/tool'))).mode & 0o777).toBe(0o755);
    expect(await readFile(path.join(out, 'data/deep/blob'))).toEqual(big);
  });

  it('writes a docker-archive whose manifest, config and layer digest agree', async () => {
    const archive = dockerArchive({
      ref: 'kcloud.local/test:1',
      files: [{ path: 'hello', mode: 0o755, content: Buffer.from('hi') }],
      entrypoint: ['/hello'],
      cmd: ['serve'],
    });
    // Same input, same bytes: the image's digest depends on its content alone.
    expect(
      dockerArchive({
        ref: 'kcloud.local/test:1',
        files: [{ path: 'hello', mode: 0o755, content: Buffer.from('hi') }],
        entrypoint: ['/hello'],
        cmd: ['serve'],
      }),
    ).toEqual(archive);
    const out = await extract(archive);
    const [manifest] = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as {
      Config: string;
      RepoTags: string[];
      Layers: string[];
    }[];
    expect(manifest?.RepoTags).toEqual(['kcloud.local/test:1']);
    const config = JSON.parse(await readFile(path.join(out, manifest?.Config ?? ''), 'utf8')) as {
      config: { Entrypoint: string[]; Cmd: string[] };
      rootfs: { diff_ids: string[] };
    };
    expect(config.config.Entrypoint).toEqual(['/hello']);
    expect(config.config.Cmd).toEqual(['serve']);
    const layer = await readFile(path.join(out, manifest?.Layers[0] ?? ''));
    expect(config.rootfs.diff_ids).toEqual([
      `sha256:${createHash('sha256').update(layer).digest('hex')}`,
    ]);
  });
});
