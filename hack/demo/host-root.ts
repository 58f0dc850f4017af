// The demo host's filesystem as its agent sees it (--host-root): file pools and the image file
// the EVS samples import live under .local/demo/host-root, not in the machine's own /.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../cluster/index.ts';

const exec = promisify(execFile);

export const demoHostRoot = path.join(repoRoot, '.local', 'demo', 'host-root');
/** Where Images may be imported from, as a path on the demo host. */
export const demoImportDir = '/images';

/** The agent flags that put the demo host's filesystem under .local/demo/host-root. */
export function demoHostRootFlags(): string[] {
  return [`--host-root=${demoHostRoot}`, `--image-import-dirs=${demoImportDir}`];
}

/**
 * Makes the image file the EVS samples import (operators/evs/samples/evs.yaml): a small qcow2
 * made by qemu-img, kept across runs.
 */
export async function prepareDemoHostRoot(): Promise<string> {
  const dir = path.join(demoHostRoot, demoImportDir);
  await mkdir(dir, { recursive: true });
  const image = path.join(dir, 'demo.qcow2');
  if (!existsSync(image)) {
    await exec('qemu-img', ['create', '-q', '-f', 'qcow2', image, '1G']);
  }
  return image;
}
