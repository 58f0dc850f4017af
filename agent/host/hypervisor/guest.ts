// The probe guest as `hack/guest.sh build` describes it: probe-guest.json beside the files,
// whose paths are relative to it, so the directory can be copied whole (into an image, say).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProbeGuest } from './types.ts';

export const probeGuestManifest = 'probe-guest.json';

export async function readProbeGuest(dir: string): Promise<ProbeGuest> {
  const file = path.join(dir, probeGuestManifest);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        `no probe guest in ${dir} (${file} is missing): build it with hack/guest.sh build`,
        {
          cause: err,
        },
      );
    }
    throw err;
  }
  const m = JSON.parse(text) as Partial<Record<keyof ProbeGuest, unknown>>;
  for (const key of ['kernel', 'initrd', 'marker', 'kernelVersion'] as const) {
    if (typeof m[key] !== 'string' || m[key] === '') {
      throw new Error(
        `${file}: "${key}" is missing or not a string; rebuild with hack/guest.sh build`,
      );
    }
  }
  const s = m as Record<keyof ProbeGuest, string>;
  return {
    kernel: path.resolve(dir, s.kernel),
    initrd: path.resolve(dir, s.initrd),
    marker: s.marker,
    kernelVersion: s.kernelVersion,
  };
}
