import { mkdtemp, rm, symlink, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isStorageError } from './errors.ts';
import { allowedLocalFile, download, sha256OfFile } from './image-source.ts';

let dir = '';
let root = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-image-source-'));
  root = path.join(dir, 'images');
  await mkdir(root);
  await writeFile(path.join(root, 'disk.img'), 'abc');
  // A link inside the import directory that leads out of it.
  await symlink('/etc/passwd', path.join(root, 'escape.img'));
  await writeFile(path.join(dir, 'outside.img'), 'x');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return isStorageError(err) ? err.reason : String(err);
  }
}

describe('image sources', () => {
  it('read a host file only under an import directory, links resolved', async () => {
    expect(await allowedLocalFile(path.join(root, 'disk.img'), [root])).toBe(
      path.join(root, 'disk.img'),
    );
    expect(await reason(allowedLocalFile(path.join(root, 'escape.img'), [root]))).toBe(
      'PathNotAllowed',
    );
    expect(await reason(allowedLocalFile(path.join(root, '..', 'outside.img'), [root]))).toBe(
      'PathNotAllowed',
    );
    expect(await reason(allowedLocalFile(path.join(dir, 'outside.img'), []))).toBe(
      'PathNotAllowed',
    );
    expect(await reason(allowedLocalFile('images/disk.img', [root]))).toBe('InvalidSource');
    expect(await reason(allowedLocalFile(path.join(root, 'missing.img'), [root]))).toBe('NotFound');
    expect(await reason(allowedLocalFile(root, [dir]))).toBe('InvalidSource');
  });

  it('hash a file', async () => {
    expect(await sha256OfFile(path.join(root, 'disk.img'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('download only http and https', async () => {
    const to = path.join(dir, 'never');
    expect(await reason(download('file:///etc/passwd', to))).toBe('InvalidSource');
    expect(await reason(download('ftp://example.invalid/x', to))).toBe('InvalidSource');
    expect(await reason(download('not a url', to))).toBe('InvalidSource');
  });
});
