import { StorageError } from './errors.ts';
import { run, toStorageError, type CommandError } from './exec.ts';
import { formatOf, readHeader } from './image-magic.ts';
import { asDiskFormat, infoArgs, parseQemuImgInfo } from './qemu-img.ts';
import type { DiskFormat } from './storage-backend.ts';

/**
 * Images from outside are untrusted: a crafted header can make qemu-img allocate or compute
 * without bound, and a qcow2 can name a backing file or data file on the host (reading
 * /etc/shadow into a guest). So, as OpenStack does: the format is read from the file's own
 * signature (image-magic.ts) and always given to qemu-img with -f, never probed; qemu-img
 * reads the image under prlimit; and any image that refers to another file is refused.
 */

export interface ResourceLimits {
  addressSpaceBytes: number;
  cpuSeconds: number;
}

/** OpenStack's limits for `qemu-img info` on an untrusted image. */
export const inspectLimits: ResourceLimits = { addressSpaceBytes: 1024 ** 3, cpuSeconds: 30 };
/** A conversion reads the whole image: more CPU, still bounded. */
export const convertLimits: ResourceLimits = { addressSpaceBytes: 2 * 1024 ** 3, cpuSeconds: 1800 };

/** The largest volume EVS makes: no image larger can boot one. */
export const maxImageBytes = 32 * 1024 ** 4;

/** `prlimit --as=… --cpu=… -- file args…` as one argument array. */
export function limitedCommand(
  limits: ResourceLimits,
  file: string,
  args: readonly string[],
): [string, string[]] {
  return [
    'prlimit',
    [
      `--as=${String(limits.addressSpaceBytes)}`,
      `--cpu=${String(limits.cpuSeconds)}`,
      '--',
      file,
      ...args,
    ],
  ];
}

/** A process killed by its CPU limit (SIGXCPU/SIGKILL) or failing to allocate under --as. */
export function hitLimit(err: CommandError): boolean {
  const cause = err.cause as { signal?: string | null } | undefined;
  return (
    cause?.signal === 'SIGXCPU' ||
    cause?.signal === 'SIGKILL' ||
    /Cannot allocate memory|Failed to allocate|out of memory/i.test(err.stderr)
  );
}

export interface DetectedImage {
  format: DiskFormat;
  virtualSizeBytes: number;
}

/** What qemu-img says about an untrusted image, refused unless it is a plain qcow2 or raw. */
export async function inspectUntrusted(
  file: string,
  declared: DiskFormat | undefined,
  signal?: AbortSignal,
): Promise<DetectedImage> {
  let header: Buffer;
  try {
    header = await readHeader(file);
  } catch (err) {
    throw toStorageError(err, 'reading the image header');
  }
  const signed = formatOf(header);
  const format = asDiskFormat(signed);
  if (!format) {
    throw new StorageError(
      'UnsupportedFormat',
      `the image is ${signed}; only qcow2 and raw images can be imported (convert it first)`,
    );
  }
  const [cmd, args] = limitedCommand(inspectLimits, 'qemu-img', infoArgs(file, { format }));
  let stdout: string;
  try {
    // The CPU limit does not end a process that blocks: the wall-clock one does.
    ({ stdout } = await run(cmd, args, { signal, timeoutMs: inspectLimits.cpuSeconds * 2000 }));
  } catch (err) {
    throw toStorageError(err, 'reading the image header', (e) =>
      hitLimit(e) ? 'ImageInspectionFailed' : 'UnsafeImage',
    );
  }
  const info = parseQemuImgInfo(stdout);
  if (info.backingFile) {
    throw new StorageError(
      'UnsafeImage',
      `the image names a backing file (${info.backingFile}); import a standalone image (qemu-img convert it without -B)`,
    );
  }
  if (info.dataFile) {
    throw new StorageError(
      'UnsafeImage',
      `the image keeps its data in an external file (${info.dataFile}); import a standalone image`,
    );
  }
  if (info.encrypted) {
    throw new StorageError('UnsafeImage', 'the image is encrypted; import an unencrypted image');
  }
  if (info.corrupt) {
    throw new StorageError('UnsafeImage', 'qemu-img reports the image corrupt');
  }
  if (info.virtualSizeBytes > maxImageBytes) {
    // A tiny file can claim petabytes: converting or importing it would run for hours.
    throw new StorageError(
      'UnsafeImage',
      `the image claims ${String(info.virtualSizeBytes)} bytes, more than the largest volume (32 TiB)`,
    );
  }
  if (declared && declared !== format) {
    throw new StorageError(
      'FormatMismatch',
      `the image was declared ${declared} but is ${format}; fix the declared format`,
    );
  }
  return { format, virtualSizeBytes: info.virtualSizeBytes };
}
