import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ReconcileError } from '../../../controllers/external/index.ts';
import type { NoteObject } from '../api/index.ts';
import { NoteFiles } from './note-files.ts';

let root = '';

function note(name: string, uid: string, text: string, fileName?: string): NoteObject {
  return {
    apiVersion: 'example.kcloud.io/v1alpha1',
    kind: 'Note',
    metadata: { name, namespace: 'ns', uid },
    spec: { text, ...(fileName ? { fileName } : {}) },
  };
}

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'kcloud-notefiles-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('NoteFiles', () => {
  it('creates, observes, updates and deletes a note file, owner record included', async () => {
    const files = new NoteFiles(root);
    const a = note('a', 'uid-a', 'hello');
    expect(await files.observe(a)).toEqual({ exists: false, upToDate: false });
    await files.create(a);
    const seen = await files.observe(a);
    expect(seen).toEqual({
      exists: true,
      upToDate: true,
      observed: {
        path: path.join(root, 'ns', 'a'),
        size: 5,
        checksum: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
      },
    });
    const changed = note('a', 'uid-a', 'hello there');
    expect((await files.observe(changed)).upToDate).toBe(false);
    await files.update(changed);
    expect(await readFile(path.join(root, 'ns', 'a'), 'utf8')).toBe('hello there');
    // No temporary file is left behind by the write.
    expect((await readdir(path.join(root, 'ns'))).sort()).toEqual(['.a.owner', 'a']);
    await files.delete(changed);
    await files.delete(changed);
    expect(await readdir(path.join(root, 'ns'))).toEqual([]);
  });

  it('treats a file another note owns as absent, refuses to write it and never deletes it', async () => {
    const files = new NoteFiles(root);
    await files.create(note('first', 'uid-1', 'mine'));
    const intruder = note('second', 'uid-2', 'theirs', 'first');
    expect(await files.observe(intruder)).toEqual({ exists: false, upToDate: false });
    const err = await files.create(intruder).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReconcileError);
    expect(err).toMatchObject({ reason: 'FileInUse', retry: false });
    await files.delete(intruder);
    expect(await readFile(path.join(root, 'ns', 'first'), 'utf8')).toBe('mine');
    expect(existsSync(path.join(root, 'ns', '.first.owner'))).toBe(true);
  });
});
