// What the storage-pool tests share: the real tools they need, qemu-io to write and check
// data through a pool's own blockdev options, images made by qemu-img, and a local HTTP
// server (127.0.0.1 only) to import them from.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { OwnerRef, StorageBackend } from '../../../../operators/evs/backend/index.ts';

const exec = promisify(execFile);
export const MiB = 1024 * 1024;

/** A missing tool is a setup error, never a skipped test. */
export async function requireTools(tools: string[]): Promise<void> {
  for (const tool of tools) {
    try {
      await exec('sh', ['-c', 'command -v "$1"', 'sh', tool]);
    } catch {
      throw new Error(
        `${tool} is not installed: run make setup (Debian packages qemu-utils, util-linux)`,
      );
    }
  }
}

/** `qemu-io -c COMMAND TARGET`; qemu-io exits non-zero when a `read -P` pattern differs. */
export async function qemuIo(target: string, command: string): Promise<void> {
  try {
    await exec('qemu-io', ['-c', command, target]);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`qemu-io -c '${command}' failed: ${(e.stdout ?? '') + (e.stderr ?? '')}`, {
      cause: err,
    });
  }
}

export async function qemuImg(args: string[]): Promise<void> {
  await exec('qemu-img', args);
}

/** The qemu-io target of a volume: exactly the options the pool gives QEMU. */
export function volumeTarget(pool: StorageBackend, volume: OwnerRef): string {
  return `json:${JSON.stringify(pool.blockdev(volume))}`;
}

export async function writePattern(
  pool: StorageBackend,
  volume: OwnerRef,
  byte: number,
  offset = 0,
) {
  await qemuIo(volumeTarget(pool, volume), `write -P 0x${byte.toString(16)} ${String(offset)} 1M`);
}

/** Fails unless the volume holds `byte` over the MiB at `offset`. */
export async function expectPattern(
  pool: StorageBackend,
  volume: OwnerRef,
  byte: number,
  offset = 0,
) {
  await qemuIo(volumeTarget(pool, volume), `read -P 0x${byte.toString(16)} ${String(offset)} 1M`);
}

let serial = 0;
/** A fresh owner; UIDs are unique per test run so nothing is shared between cases. */
export function owner(name: string): OwnerRef {
  serial += 1;
  const uid = `${name}-${process.pid.toString(16)}-${serial.toString(16)}-${Date.now().toString(16)}`;
  return { namespace: 'tenant-a', name, uid };
}

export async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}

/** The images the import tests use, made by qemu-img in `dir`. */
export interface ImageFiles {
  /** qcow2, 64 MiB virtual, 0xab in its first MiB. */
  qcow2: string;
  /** raw, 32 MiB, 0xab in its first MiB. */
  raw: string;
  /** A qcow2 whose backing file is /etc/passwd: reading it would leak a host file. */
  backedByHostFile: string;
  /** A qcow2 keeping its data in an external file. */
  externalData: string;
  /** A small qcow2 file claiming 64 TiB. */
  huge: string;
  /** A VMDK descriptor whose extent is a FIFO on the host: probing it blocks qemu-img. */
  vmdkOnFifo: string;
}

export async function makeImages(dir: string): Promise<ImageFiles> {
  const files: ImageFiles = {
    qcow2: path.join(dir, 'disk.qcow2'),
    raw: path.join(dir, 'disk.raw'),
    backedByHostFile: path.join(dir, 'evil.qcow2'),
    externalData: path.join(dir, 'external.qcow2'),
    huge: path.join(dir, 'huge.qcow2'),
    vmdkOnFifo: path.join(dir, 'descriptor.vmdk'),
  };
  const fifo = path.join(dir, 'extent.fifo');
  await exec('mkfifo', [fifo]);
  await writeFile(
    files.vmdkOnFifo,
    [
      '# Disk DescriptorFile',
      'version=1',
      'CID=fffffffe',
      'parentCID=ffffffff',
      'createType="monolithicFlat"',
      '',
      `RW 2048 FLAT "${fifo}" 0`,
      '',
    ].join('\n'),
  );
  await qemuImg(['create', '-q', '-f', 'qcow2', files.huge, '64T']);
  await qemuImg(['create', '-q', '-f', 'qcow2', files.qcow2, '64M']);
  await qemuIo(files.qcow2, 'write -P 0xab 0 1M');
  await qemuImg(['create', '-q', '-f', 'raw', files.raw, '32M']);
  await qemuIo(
    `json:{"driver":"raw","file":{"driver":"file","filename":"${files.raw}"}}`,
    'write -P 0xab 0 1M',
  );
  await qemuImg([
    'create',
    '-q',
    '-f',
    'qcow2',
    '-u',
    '-b',
    '/etc/passwd',
    '-F',
    'raw',
    files.backedByHostFile,
    '64M',
  ]);
  await qemuImg([
    'create',
    '-q',
    '-f',
    'qcow2',
    '-o',
    `data_file=${path.join(dir, 'external.data')}`,
    files.externalData,
    '16M',
  ]);
  return files;
}

/** Serves the files of `dir` over HTTP on 127.0.0.1 (404 for anything else). */
export async function serveDir(
  dir: string,
): Promise<{ url: (file: string) => string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const name = path.basename(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = path.join(dir, name);
    stat(file).then(
      (st) => {
        res.writeHead(200, {
          'content-length': st.size,
          'content-type': 'application/octet-stream',
        });
        createReadStream(file).pipe(res);
      },
      () => {
        res.writeHead(404);
        res.end('not found');
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (file) => `http://127.0.0.1:${String(port)}/${path.basename(file)}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}
