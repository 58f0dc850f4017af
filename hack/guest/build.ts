// hack/guest.sh build: the probe guest in the guest folder, described by probe-guest.json (the
// format agent/host/hypervisor reads). Each part is remade only when its inputs changed: the
// kernel when the archive's linux-image-amd64 names another package or version, the initramfs
// when busybox, its libraries, the init script or the marker changed.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  probeGuestManifest,
  readProbeGuest,
  type ProbeGuest,
} from '../../agent/host/hypervisor/index.ts';
import {
  fetchKernel,
  kernelVersionLabel,
  resolveKernelPackage,
  type KernelPackage,
} from './kernel.ts';
import {
  buildProbeInitramfs,
  findBusybox,
  initramfsDigest,
  probeMarker,
  sharedLibraries,
} from './probe-initramfs.ts';

export const probeInitramfsFile = 'probe-initramfs.cpio.gz';

/** probe-guest.json: what ProbeGuest needs (paths relative to the folder) and the inputs. */
export interface ProbeGuestManifest {
  kernel: string;
  initrd: string;
  marker: string;
  kernelVersion: string;
  inputs: { kernelPackage: KernelPackage; initramfsDigest: string };
}

export interface BuildResult {
  dir: string;
  guest: ProbeGuest;
  /** What was remade this time: 'kernel', 'initramfs'; empty when all was current. */
  rebuilt: string[];
}

async function readManifest(dir: string): Promise<ProbeGuestManifest | undefined> {
  try {
    return JSON.parse(
      await readFile(path.join(dir, probeGuestManifest), 'utf8'),
    ) as ProbeGuestManifest;
  } catch {
    return undefined;
  }
}

export async function buildProbeGuest(
  dir: string,
  log: (line: string) => void = () => undefined,
): Promise<BuildResult> {
  await mkdir(dir, { recursive: true });
  const old = await readManifest(dir);
  const rebuilt: string[] = [];

  const pkg = await resolveKernelPackage();
  const kernel = `vmlinuz-${pkg.release}`;
  const oldPkg = old?.inputs.kernelPackage;
  if (
    oldPkg?.name !== pkg.name ||
    oldPkg.version !== pkg.version ||
    !existsSync(path.join(dir, kernel))
  ) {
    log(`fetching ${pkg.name} ${pkg.version}`);
    await fetchKernel(pkg, dir, path.join(dir, kernel));
    rebuilt.push('kernel');
  }

  const busybox = await findBusybox();
  const inputs = { busybox, libraries: await sharedLibraries(busybox), marker: probeMarker };
  const digest = await initramfsDigest(inputs);
  if (old?.inputs.initramfsDigest !== digest || !existsSync(path.join(dir, probeInitramfsFile))) {
    log(
      `building ${probeInitramfsFile} from ${busybox}${inputs.libraries.length > 0 ? ` and ${String(inputs.libraries.length)} shared libraries` : ''}`,
    );
    await buildProbeInitramfs(inputs, dir, path.join(dir, probeInitramfsFile));
    rebuilt.push('initramfs');
  }

  const manifest: ProbeGuestManifest = {
    kernel,
    initrd: probeInitramfsFile,
    marker: probeMarker,
    kernelVersion: kernelVersionLabel(pkg),
    inputs: { kernelPackage: pkg, initramfsDigest: digest },
  };
  if (rebuilt.length > 0 || old === undefined) {
    const file = path.join(dir, probeGuestManifest);
    await writeFile(`${file}.partial`, JSON.stringify(manifest, null, 2) + '\n');
    await rename(`${file}.partial`, file);
  }
  // A kernel the manifest no longer names is dead weight.
  if (old !== undefined && old.kernel !== kernel)
    await rm(path.join(dir, path.basename(old.kernel)), { force: true });
  return { dir, guest: await readProbeGuest(dir), rebuilt };
}
