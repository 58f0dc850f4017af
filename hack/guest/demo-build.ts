// hack/guest.sh build: the demo guest, the Image ECS instances boot in development, tests and
// the demo. A qcow2 disk (demo-guest.qcow2) that boots by itself, described by demo-guest.json
// with its sha256 and size (what an Image's url/file source checks). It is remade only when
// its inputs changed: the .debs it is made of, hack/guest/demo-rootfs and the builder itself.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from '../images/archive.ts';
import { buildBootDisk } from './boot-disk.ts';
import { resolveDemoDebs, unpack } from './demo-debs.ts';
import { buildDemoInitramfs, demoRootfsDigest } from './demo-initramfs.ts';
import { kernelVersionLabel, resolveKernelPackage, type KernelPackage } from './kernel.ts';

export const demoGuestManifest = 'demo-guest.json';
export const demoGuestImage = 'demo-guest.qcow2';

/**
 * The serial console shows the kernel and the guest's logins (ttyS0 last: it is /dev/console);
 * `quiet` keeps the kernel's messages to errors, which under TCG saves boot time.
 */
export const demoKernelCmdline = 'console=tty0 console=ttyS0,115200n8 quiet';

/** demo-guest.json. */
export interface DemoGuestManifest {
  /** The disk image's file name, in the manifest's folder. */
  image: string;
  format: 'qcow2';
  /** SHA-256 of the image file, 64 hex digits. */
  sha256: string;
  /** The image file's size. */
  bytes: number;
  /** The size of the disk the guest sees. */
  virtualBytes: number;
  kernelVersion: string;
  inputs: { digest: string; kernelPackage: KernelPackage; debs: string[] };
}

/** The built demo guest, its image as an absolute path. */
export type DemoGuest = Omit<DemoGuestManifest, 'inputs'>;

/** The builder's own sources: a change to how the guest is made remakes it. */
const recipeFiles = [
  'demo-build.ts',
  'demo-debs.ts',
  'demo-initramfs.ts',
  'kernel-modules.ts',
  'boot-disk.ts',
  'cpio.ts',
];

async function inputsDigest(debs: string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of recipeFiles) h.update(await readFile(path.join(import.meta.dirname, f)));
  h.update(JSON.stringify({ debs, rootfs: await demoRootfsDigest(), cmdline: demoKernelCmdline }));
  return h.digest('hex');
}

async function readManifest(dir: string): Promise<DemoGuestManifest | undefined> {
  try {
    return JSON.parse(
      await readFile(path.join(dir, demoGuestManifest), 'utf8'),
    ) as DemoGuestManifest;
  } catch {
    return undefined;
  }
}

/** The demo guest in `dir`; fails with the way to build it when it is not there. */
export async function readDemoGuest(dir: string): Promise<DemoGuest> {
  const m = await readManifest(dir);
  const image = m === undefined ? undefined : path.join(dir, path.basename(m.image));
  if (m === undefined || image === undefined || !existsSync(image)) {
    throw new Error(`no demo guest in ${dir}: run hack/guest.sh build (or make setup)`);
  }
  const { inputs: _inputs, ...guest } = m;
  return { ...guest, image };
}

export interface DemoBuildResult {
  guest: DemoGuest;
  /** False when the image of an earlier build had the same inputs and was kept. */
  built: boolean;
}

export async function buildDemoGuest(
  dir: string,
  log: (line: string) => void = () => undefined,
): Promise<DemoBuildResult> {
  await mkdir(dir, { recursive: true });
  const kernel = await resolveKernelPackage();
  const debs = await resolveDemoDebs(kernel);
  const debFiles = [...debs.userland, ...debs.diskTools, debs.kernel].map((d) => d.file).sort();
  const digest = await inputsDigest(debFiles);
  const old = await readManifest(dir);
  const imageFile = path.join(dir, demoGuestImage);
  if (
    old?.inputs.digest === digest &&
    existsSync(imageFile) &&
    (await stat(imageFile)).size === old.bytes
  ) {
    return { guest: await readDemoGuest(dir), built: false };
  }

  const work = await mkdtemp(path.join(dir, '.demo-'));
  try {
    const unpacked = path.join(work, 'unpacked');
    const tools = path.join(work, 'tools');
    log(`unpacking ${String(debs.userland.length + 1)} packages for the demo guest`);
    await unpack([...debs.userland, debs.kernel], unpacked, log);
    await unpack(debs.diskTools, tools, log);
    const initrd = path.join(work, 'initrd.gz');
    const { modules } = await buildDemoInitramfs(
      { unpacked, release: kernel.release },
      path.join(work, 'root'),
      initrd,
    );
    log(
      `demo initramfs: ${String((await stat(initrd)).size)} bytes, ${String(modules.length)} modules`,
    );
    const { virtualBytes } = await buildBootDisk(
      {
        kernel: path.join(unpacked, 'boot', `vmlinuz-${kernel.release}`),
        initrd,
        cmdline: demoKernelCmdline,
        tools,
      },
      work,
      imageFile,
    );
    const manifest: DemoGuestManifest = {
      image: demoGuestImage,
      format: 'qcow2',
      sha256: await sha256File(imageFile),
      bytes: (await stat(imageFile)).size,
      virtualBytes,
      kernelVersion: kernelVersionLabel(kernel),
      inputs: { digest, kernelPackage: kernel, debs: debFiles },
    };
    const file = path.join(dir, demoGuestManifest);
    await writeFile(`${file}.partial`, JSON.stringify(manifest, null, 2) + '\n');
    await rename(`${file}.partial`, file);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { guest: await readDemoGuest(dir), built: true };
}
