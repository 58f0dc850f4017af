import { StorageError } from './errors.ts';
import type { DiskFormat } from './storage-backend.ts';

/**
 * Argument arrays for qemu-img and the parsing of `qemu-img info --output=json`. Pure: the
 * pools run them. Every target is an absolute path (QEMU reads `name:` before the first `/`
 * as a protocol) or a protocol string the pool builds itself (`rbd:…`).
 */

export interface QemuSnapshot {
  name: string;
  createdAt: Date;
}

export interface QemuImageInfo {
  format: string;
  virtualSizeBytes: number;
  /** Bytes allocated in the file itself (0 when qemu-img cannot tell, as for rbd). */
  actualSizeBytes: number;
  backingFile?: string;
  backingFormat?: string;
  /** qcow2 `data-file`: the guest data lives in another file that the image names. */
  dataFile?: string;
  encrypted: boolean;
  corrupt: boolean;
  snapshots: QemuSnapshot[];
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function parseQemuImgInfo(json: string): QemuImageInfo {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new StorageError(
      'BackendFailed',
      `qemu-img info printed no JSON: ${json.slice(0, 200)}`,
      {
        cause: err,
      },
    );
  }
  const info = asRecord(parsed);
  const format = optionalString(info?.format);
  const virtualSize = info?.['virtual-size'];
  if (!info || !format || typeof virtualSize !== 'number') {
    throw new StorageError('BackendFailed', `qemu-img info JSON lacks format or virtual-size`);
  }
  const specific = asRecord(asRecord(info['format-specific'])?.data);
  const snapshots = Array.isArray(info.snapshots) ? info.snapshots : [];
  const result: QemuImageInfo = {
    format,
    virtualSizeBytes: virtualSize,
    actualSizeBytes: typeof info['actual-size'] === 'number' ? info['actual-size'] : 0,
    encrypted: info.encrypted === true || specific?.encrypt !== undefined,
    corrupt: specific?.corrupt === true,
    snapshots: snapshots.flatMap((entry) => {
      const snap = asRecord(entry);
      const name = optionalString(snap?.name);
      if (!snap || !name) return [];
      const sec = typeof snap['date-sec'] === 'number' ? snap['date-sec'] : 0;
      const nsec = typeof snap['date-nsec'] === 'number' ? snap['date-nsec'] : 0;
      return [{ name, createdAt: new Date(sec * 1000 + Math.floor(nsec / 1e6)) }];
    }),
  };
  const backingFile = optionalString(info['backing-filename']);
  if (backingFile) result.backingFile = backingFile;
  const backingFormat = optionalString(info['backing-filename-format']);
  if (backingFormat) result.backingFormat = backingFormat;
  const dataFile = optionalString(specific?.['data-file']);
  if (dataFile) result.dataFile = dataFile;
  return result;
}

export function infoArgs(target: string, opts: { format?: string; forceShare?: boolean } = {}) {
  return [
    'info',
    '--output=json',
    // Reading the header of an image a running QEMU holds: safe, and otherwise refused.
    ...(opts.forceShare ? ['--force-share'] : []),
    ...(opts.format ? ['-f', opts.format] : []),
    target,
  ];
}

export interface CreateArgs {
  target: string;
  format: DiskFormat;
  sizeBytes: number;
  /** A copy-on-write overlay on this file; its format is always given (`-F`), never probed. */
  backing?: { file: string; format: DiskFormat };
}

export function createArgs(opts: CreateArgs): string[] {
  return [
    'create',
    '-q',
    '-f',
    opts.format,
    ...(opts.backing ? ['-b', opts.backing.file, '-F', opts.backing.format] : []),
    opts.target,
    String(opts.sizeBytes),
  ];
}

export interface ConvertArgs {
  source: string;
  /** Always given: a format qemu-img would probe could be a lie (a raw file that looks qcow2). */
  sourceFormat: string;
  /** An internal snapshot of the source to read instead of its current data. */
  sourceSnapshot?: string;
  /**
   * Read a source another process (a running VM's QEMU) has open: only for an internal
   * snapshot of it, whose clusters do not change while the snapshot exists.
   */
  forceShare?: boolean;
  target: string;
  targetFormat: DiskFormat;
  /** Write only what differs from this base, and make it the target's backing file. */
  backing?: { file: string; format: DiskFormat };
}

export function convertArgs(opts: ConvertArgs): string[] {
  return [
    'convert',
    '-q',
    '-f',
    opts.sourceFormat,
    ...(opts.sourceSnapshot ? ['-l', `snapshot.name=${opts.sourceSnapshot}`] : []),
    ...(opts.forceShare ? ['-U'] : []),
    '-O',
    opts.targetFormat,
    ...(opts.backing ? ['-B', opts.backing.file, '-F', opts.backing.format] : []),
    opts.source,
    opts.target,
  ];
}

export function resizeArgs(target: string, format: DiskFormat, sizeBytes: number): string[] {
  // Never --shrink: a smaller size is refused before qemu-img runs.
  return ['resize', '-q', '-f', format, target, String(sizeBytes)];
}

const snapshotFlags = { create: '-c', apply: '-a', delete: '-d' } as const;

export function snapshotArgs(
  op: keyof typeof snapshotFlags,
  tag: string,
  target: string,
): string[] {
  // `qemu-img snapshot` takes no -f; its targets are the pool's own qcow2 files, whose header
  // a guest cannot write.
  return ['snapshot', '-q', snapshotFlags[op], tag, target];
}

/** The formats a pool accepts from outside; anything else (vmdk, vhdx…) is refused. */
export function asDiskFormat(format: string): DiskFormat | undefined {
  return format === 'qcow2' || format === 'raw' ? format : undefined;
}
