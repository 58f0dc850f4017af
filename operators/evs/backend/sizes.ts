import { StorageError } from './errors.ts';

export const MiB = 1024 * 1024;

/**
 * Volume sizes are whole MiB in every pool: RBD sizes images in MiB, qcow2 in 512-byte
 * sectors, and a Kubernetes quantity such as `1.5G` is neither.
 */
export function roundUpToMiB(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new StorageError(
      'InvalidSize',
      `size ${String(bytes)} bytes is not a positive whole number of bytes`,
    );
  }
  return Math.ceil(bytes / MiB) * MiB;
}

/** A volume made from a source must hold all of it. */
export function checkAtLeast(sizeBytes: number, sourceBytes: number, source: string): void {
  if (sizeBytes < sourceBytes) {
    throw new StorageError(
      'InvalidSize',
      `size ${String(sizeBytes)} bytes is smaller than ${source} (${String(sourceBytes)} bytes); ask for at least that`,
    );
  }
}

export function checkGrow(currentBytes: number, wantedBytes: number, what: string): void {
  if (wantedBytes < currentBytes) {
    throw new StorageError(
      'ShrinkRefused',
      `${what} is ${String(currentBytes)} bytes and volumes only grow; ${String(wantedBytes)} bytes would lose data`,
    );
  }
}

/** A volume reimaged from an image keeps its size, which must hold the whole image. */
export function checkImageFits(volumeBytes: number, imageBytes: number, image: string): void {
  if (imageBytes > volumeBytes) {
    throw new StorageError(
      'InvalidSize',
      `${image} holds ${String(imageBytes)} bytes, more than the volume's ${String(volumeBytes)}: grow the volume first (spec.size), then reimage it`,
    );
  }
}
