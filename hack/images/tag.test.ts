import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { imageTag, validRegistry, validTag } from './tag.ts';

const run = promisify(execFile);
let repo = '';

const git = async (...args: string[]) =>
  (
    await run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd: repo,
    })
  ).stdout.trim();

beforeEach(async () => {
  repo = await mkdtemp(path.join(os.tmpdir(), 'image-tag-'));
  await git('init', '--quiet');
  await writeFile(path.join(repo, 'a.txt'), 'one\n');
  await git('add', 'a.txt');
  await git('commit', '--quiet', '-m', 'first');
});

afterEach(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe('the image tag', () => {
  it('is the commit, 12 hex digits, for a clean tree', async () => {
    const tag = await imageTag(repo);
    expect(tag).toMatch(/^[0-9a-f]{12}$/);
    expect((await git('rev-parse', 'HEAD')).startsWith(tag)).toBe(true);
  });

  it('says -dirty when a tracked file changed, staged or not', async () => {
    const commit = await imageTag(repo);
    await writeFile(path.join(repo, 'a.txt'), 'two\n');
    expect(await imageTag(repo)).toBe(`${commit}-dirty`);
    await git('add', 'a.txt');
    expect(await imageTag(repo)).toBe(`${commit}-dirty`);
  });

  it('ignores untracked files', async () => {
    const commit = await imageTag(repo);
    await writeFile(path.join(repo, 'new.txt'), 'x\n');
    expect(await imageTag(repo)).toBe(commit);
  });

  it('follows a new commit', async () => {
    const first = await imageTag(repo);
    await writeFile(path.join(repo, 'a.txt'), 'two\n');
    await git('commit', '--quiet', '-am', 'second');
    const second = await imageTag(repo);
    expect(second).not.toBe(first);
    expect(second).not.toContain('dirty');
  });

  it("fails with git's message outside a repository", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'image-tag-none-'));
    try {
      await expect(imageTag(dir)).rejects.toThrow(/git rev-parse --short=12 HEAD failed/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts only what registries accept as tags and registry names', () => {
    expect(validTag('0123456789ab-dirty')).toBe(true);
    expect(validTag('v1.2.3_rc')).toBe(true);
    expect(validTag('-x')).toBe(false);
    expect(validTag('a:b')).toBe(false);
    expect(validTag('x'.repeat(129))).toBe(false);
    expect(validRegistry('kcloud.local')).toBe(true);
    expect(validRegistry('registry.example.com:5000/team')).toBe(true);
    expect(validRegistry('https://registry.example.com')).toBe(false);
    expect(validRegistry('Registry.example.com')).toBe(false);
    expect(validRegistry('kcloud.local/')).toBe(false);
  });
});
