import { open } from 'node:fs/promises';

/**
 * What an image file is, from its first bytes, without qemu-img. qemu-img probing a format on
 * its own would open whatever a VMDK descriptor names (a host file, a FIFO that blocks it for
 * ever), so the format is decided here and qemu-img is always told it (-f), as OpenStack's
 * format inspector does. Anything without a known signature is raw: its bytes are the disk.
 */

const signatures: { format: string; offset: number; magic: Buffer }[] = [
  { format: 'qcow2', offset: 0, magic: Buffer.from([0x51, 0x46, 0x49, 0xfb]) },
  { format: 'vmdk', offset: 0, magic: Buffer.from('KDMV') },
  { format: 'vmdk', offset: 0, magic: Buffer.from('# Disk DescriptorFile') },
  { format: 'vhdx', offset: 0, magic: Buffer.from('vhdxfile') },
  { format: 'vpc', offset: 0, magic: Buffer.from('conectix') },
  { format: 'qed', offset: 0, magic: Buffer.from([0x51, 0x45, 0x44, 0x00]) },
  { format: 'luks', offset: 0, magic: Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]) },
  { format: 'vdi', offset: 0x40, magic: Buffer.from([0x7f, 0x10, 0xda, 0xbe]) },
  { format: 'parallels', offset: 0, magic: Buffer.from('WithoutFreeSpace') },
  { format: 'parallels', offset: 0, magic: Buffer.from('WithouFreSpacExt') },
  { format: 'cloop', offset: 0, magic: Buffer.from('#!/bin/sh\n#V2.0 Format') },
  { format: 'dmg', offset: 0, magic: Buffer.from('koly') },
];

/** The bytes `formatOf` needs. */
export const headerBytes = 512;

export function formatOf(header: Buffer): string {
  for (const { format, offset, magic } of signatures) {
    if (header.subarray(offset, offset + magic.length).equals(magic)) return format;
  }
  return 'raw';
}

export async function readHeader(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(headerBytes);
    const { bytesRead } = await handle.read(buffer, 0, headerBytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
