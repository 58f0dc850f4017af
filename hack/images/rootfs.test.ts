import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, symlink, utimes } from 'node:fs/promises';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { writeArchive, writeLayer } from './archive.ts';
import { addSkeleton, mergeUsr, pruneDocs } from './rootfs.ts';

const run = promisify(execFile);
let dir = '';

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rootfs-test-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function put(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
  await writeFile(path.join(dir, file), text);
}

describe('the /usr merge', () => {
  it('moves /bin, /sbin, /lib and /lib64 into /usr and leaves symlinks', async () => {
    await put('bin/sh', 'dash');
    await put('usr/bin/env', 'env');
    await put('lib/x86_64-linux-gnu/libc.so.6', 'libc');
    await put('usr/lib/x86_64-linux-gnu/libm.so.6', 'libm');
    // The same file in both places is one file.
    await put('sbin/tool', 'same');
    await put('usr/sbin/tool', 'same');
    await mergeUsr(dir);
    for (const d of ['bin', 'sbin', 'lib', 'lib64']) {
      expect(await readlink(path.join(dir, d))).toBe(`usr/${d}`);
    }
    expect(await readFile(path.join(dir, 'bin/sh'), 'utf8')).toBe('dash');
    expect(await readFile(path.join(dir, 'usr/lib/x86_64-linux-gnu/libc.so.6'), 'utf8')).toBe(
      'libc',
    );
    expect(await readFile(path.join(dir, 'lib/x86_64-linux-gnu/libm.so.6'), 'utf8')).toBe('libm');
    expect(await readFile(path.join(dir, 'sbin/tool'), 'utf8')).toBe('same');
  });

  it('refuses two different files of one name', async () => {
    await put('bin/tool', 'one');
    await put('usr/bin/tool', 'two');
    await expect(mergeUsr(dir)).rejects.toThrow(/bin\/tool and .*usr\/bin\/tool are different/);
  });
});

describe('the skeleton and the documentation', () => {
  it('adds root and nonroot (65532), a sticky /tmp, and keeps only copyright files', async () => {
    await put('usr/share/doc/pkg/copyright', 'c');
    await put('usr/share/doc/pkg/changelog.gz', 'x');
    await put('usr/share/man/man1/x.1.gz', 'x');
    await pruneDocs(dir);
    await addSkeleton(dir);
    expect(await readFile(path.join(dir, 'etc/passwd'), 'utf8')).toMatch(
      /^root:x:0:0:.*\nnonroot:x:65532:65532:/,
    );
    expect(await readFile(path.join(dir, 'etc/group'), 'utf8')).toContain('nonroot:x:65532:');
    expect((await lstat(path.join(dir, 'tmp'))).mode & 0o7777).toBe(0o1777);
    expect(await readlink(path.join(dir, 'var/run'))).toBe('/run');
    expect(await readFile(path.join(dir, 'usr/share/doc/pkg/copyright'), 'utf8')).toBe('c');
    await expect(lstat(path.join(dir, 'usr/share/doc/pkg/changelog.gz'))).rejects.toThrow();
    await expect(lstat(path.join(dir, 'usr/share/man'))).rejects.toThrow();
  });
});

describe('layers and docker-archives', () => {
  async function tree(root: string, mtime: number): Promise<void> {
    for (const [file, text] of [
      ['usr/bin/b', 'b'],
      ['usr/bin/a', 'a'],
      ['etc/x', 'x'],
    ] as const) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), text);
      await utimes(path.join(root, file), mtime, mtime);
    }
    await symlink('usr/bin', path.join(root, 'bin'));
  }

  it('writes the same layer for the same files, whatever their times', async () => {
    await tree(path.join(dir, 'one'), 1_000);
    await tree(path.join(dir, 'two'), 2_000_000);
    const one = await writeLayer(path.join(dir, 'one'), path.join(dir, 'one.tar'));
    const two = await writeLayer(path.join(dir, 'two'), path.join(dir, 'two.tar'));
    expect(two.digest).toBe(one.digest);
    const { stdout } = await run('tar', ['-tvf', one.file]);
    expect(stdout).toMatch(/^lrwxrwxrwx 0\/0 .* bin -> usr\/bin$/m);
    expect(stdout).not.toMatch(/\.\//);
  });

  it('writes an archive whose manifest, config and layers agree, bottom layer first', async () => {
    await tree(path.join(dir, 'root'), 1_000);
    const layer = await writeLayer(path.join(dir, 'root'), path.join(dir, 'layer.tar'));
    await mkdir(path.join(dir, 'upper', 'etc'), { recursive: true });
    await writeFile(path.join(dir, 'upper', 'etc', 'upper'), 'upper\n');
    const upper = await writeLayer(path.join(dir, 'upper'), path.join(dir, 'upper.tar'));
    const archive = path.join(dir, 'image.tar');
    const config = { entrypoint: ['/usr/bin/a'], env: ['PATH=/usr/bin'], workingDir: '/' };
    const bytes = await writeArchive('kcloud.local/x:1', [layer, upper], config, archive);
    const out = path.join(dir, 'out');
    await mkdir(out);
    await run('tar', ['-xf', archive, '-C', out]);
    const [manifest] = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8')) as {
      Config: string;
      RepoTags: string[];
      Layers: string[];
    }[];
    expect(manifest?.RepoTags).toEqual(['kcloud.local/x:1']);
    const configText = await readFile(path.join(out, manifest?.Config ?? ''));
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(manifest?.Config).toBe(`${sha(configText)}.json`);
    expect(manifest?.Layers).toHaveLength(2);
    for (const name of manifest?.Layers ?? []) {
      expect(name).toBe(`${sha(await readFile(path.join(out, name)))}/layer.tar`);
    }
    expect(manifest?.Layers).toEqual([`${layer.digest}/layer.tar`, `${upper.digest}/layer.tar`]);
    const parsed = JSON.parse(configText.toString()) as {
      config: { Entrypoint: string[]; WorkingDir: string };
      rootfs: { diff_ids: string[] };
    };
    expect(parsed.rootfs.diff_ids).toEqual([`sha256:${layer.digest}`, `sha256:${upper.digest}`]);
    expect(parsed.config.Entrypoint).toEqual(['/usr/bin/a']);
    expect(bytes).toBe((await lstat(archive)).size);
  });
});
