// The agent's side of an Image: imported once into the pool — downloaded, checked, converted —
// and removed on deletion (kept, retired, while volumes still use it).
import path from 'node:path';
import { ReconcileError, type ExternalClient } from '../../../controllers/external/index.ts';
import { StorageError } from '../backend/index.ts';
import type { ImageObject } from '../../ecs/index.ts';
import type { ImageInfo, ImageSource } from '../backend/index.ts';
import { ownerRef } from './owners.ts';
import { notPlaced, notPlacedYet, placedPool, type PoolBackends } from './pool-backends.ts';
import { sourceMissing, type SourceReader } from './sources.ts';

export interface ImageDataOptions {
  pools: PoolBackends;
  sources: SourceReader;
  /** The hosts this agent answers for: a hostFile source must name one of them. */
  hostNames: readonly string[];
  /** A host path as this process sees it (under --host-root). */
  hostPath: (p: string) => string;
  /** The directories files may be imported from, as this process sees them. */
  importRoots: readonly string[];
}

export function imageDataStatus(info: ImageInfo | undefined): {
  format?: string;
  virtualSizeBytes?: number;
  sha256?: string;
} {
  return info
    ? { format: info.sourceFormat, virtualSizeBytes: info.virtualSizeBytes, sha256: info.sha256 }
    : {};
}

async function importSource(
  image: ImageObject,
  opts: ImageDataOptions,
  signal: AbortSignal,
): Promise<{ source: ImageSource; sha256?: string }> {
  const { url, hostFile, volume } = image.spec.source;
  if (url) return { source: { kind: 'Url', url: url.url }, sha256: url.sha256 };
  if (hostFile) {
    if (!opts.hostNames.includes(hostFile.host)) {
      throw new ReconcileError(
        'WrongHost',
        `the file is on host ${hostFile.host}, and this agent is ${opts.hostNames.join(', ')}`,
      );
    }
    // Refused before anything looks at the file: whether a path outside the import
    // directories exists is none of the user's business.
    const file = opts.hostPath(hostFile.path);
    const inside = opts.importRoots.some((root) => {
      const rel = path.relative(root, file);
      return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
    });
    if (!inside) {
      throw new StorageError(
        'PathNotAllowed',
        `${hostFile.path} is not under the directories this host imports images from (the agent's --image-import-dirs)`,
      );
    }
    return {
      source: { kind: 'File', path: file },
      ...(hostFile.sha256 ? { sha256: hostFile.sha256 } : {}),
    };
  }
  const ns = image.metadata.namespace ?? '';
  const name = volume?.name ?? '';
  const src = await opts.sources.volume(ns, name, signal);
  if (!src) throw sourceMissing('Volume', ns, name);
  if ((src.status?.attachments ?? []).length > 0) {
    throw new ReconcileError(
      'SourceVolumeInUse',
      `Volume ${name} is attached: detach it to copy it`,
    );
  }
  return { source: { kind: 'Volume', volume: ownerRef(src) } };
}

export function imageData(
  image: ImageObject,
  opts: ImageDataOptions,
): ExternalClient<ImageObject, ImageInfo> {
  const backend = async (signal: AbortSignal) => {
    const pool = placedPool(image);
    if (pool === undefined) throw notPlacedYet();
    return opts.pools.backendFor(pool, signal);
  };
  return {
    async observe(obj, signal) {
      if (placedPool(obj) === undefined) return notPlaced(obj);
      const info = await (await backend(signal)).inspectImage(ownerRef(obj), signal);
      return info
        ? { exists: true, upToDate: true, observed: info }
        : { exists: false, upToDate: false };
    },
    async create(obj, signal) {
      const { source, sha256 } = await importSource(obj, opts, signal);
      await (
        await backend(signal)
      ).importImage(
        {
          image: ownerRef(obj),
          source,
          ...(obj.spec.format ? { format: obj.spec.format } : {}),
          ...(sha256 ? { sha256 } : {}),
        },
        signal,
      );
    },
    async update() {
      // An image is what was imported; its spec's source and format cannot change.
    },
    async delete(obj, signal) {
      await (await backend(signal)).deleteImage(ownerRef(obj), signal);
    },
  };
}
