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

/** The directory of the samples' Local pool, as a path on the demo host. */
export const demoPoolDir = '/pools/local';

/**
 * Makes what the EVS samples (operators/evs/samples/evs.yaml) need on the demo host under
 * `root`: the Local pool's directory (kcloud never creates one) and the image file they
 * import, a small qcow2 made by qemu-img, kept across runs.
 */
export async function prepareDemoHostRoot(root = demoHostRoot): Promise<string> {
  await mkdir(path.join(root, demoPoolDir), { recursive: true, mode: 0o700 });
  const dir = path.join(root, demoImportDir);
  await mkdir(dir, { recursive: true });
  const image = path.join(dir, 'demo.qcow2');
  if (!existsSync(image)) {
    await exec('qemu-img', ['create', '-q', '-f', 'qcow2', image, '1G']);
  }
  return image;
}
