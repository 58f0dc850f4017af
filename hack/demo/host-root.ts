// The demo host's filesystem as its agent sees it (--host-root): file pools and the image file
// the samples import live under .local/demo/host-root, not in the machine's own /.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { guestDir, readDemoGuest } from '../guest/index.ts';
import { sha256File } from '../images/archive.ts';
import { devPlaces } from './places.ts';

export const demoHostRoot = devPlaces().hostRoot;
/** Where Images may be imported from, as a path on the demo host. */
export const demoImportDir = '/images';

/** The agent flags that put the demo host's filesystem under `root`. */
export function demoHostRootFlags(root = demoHostRoot): string[] {
  return [`--host-root=${root}`, `--image-import-dirs=${demoImportDir}`];
}

/** The directory of the samples' Local pool, as a path on the demo host. */
export const demoPoolDir = '/pools/local';

/**
 * Makes what the samples need on the demo host under `root`: the Local pool's directory
 * (kcloud never creates one) and the file the Image `demo-image` imports, the demo guest
 * (hack/guest.sh build) that the ECS instances boot. The copy is kept while it is the guest
 * built now; a rebuilt guest (or the blank disk earlier demos made) is replaced.
 */
export async function prepareDemoHostRoot(root = demoHostRoot): Promise<string> {
  await mkdir(path.join(root, demoPoolDir), { recursive: true, mode: 0o700 });
  const dir = path.join(root, demoImportDir);
  await mkdir(dir, { recursive: true });
  const image = path.join(dir, 'demo.qcow2');
  const guest = await readDemoGuest(guestDir());
  if (!existsSync(image) || (await sha256File(image)) !== guest.sha256) {
    // By rename: an import that reads the file meanwhile sees the old one or the new, whole.
    await copyFile(guest.image, `${image}.new`);
    await rename(`${image}.new`, image);
  }
  return image;
}
