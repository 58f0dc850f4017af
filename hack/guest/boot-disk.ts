// A disk that boots by itself, as an Image a Volume is cloned from must: an MBR (syslinux's
// mbr.bin and a partition table of one bootable FAT partition at 1 MiB) and in that partition
// syslinux, the kernel and the initramfs. The FAT filesystem is made and filled with mtools
// and syslinux installs into it through mtools too: no mount, no loop device, no root. The
// result is converted to a compressed qcow2.
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { toolOutput } from '../cluster/index.ts';

const sector = 512;
/** The partition starts at 1 MiB, as partitioning tools align it. */
export const partitionStart = 2048;
/** FAT16 with LBA addressing. */
const fat16Lba = 0x0e;

/** The 512-byte master boot record: boot code, a disk signature, one bootable partition. */
export function masterBootRecord(bootCode: Buffer, sectors: number, signature: number): Buffer {
  if (bootCode.length > 440)
    throw new Error(`MBR boot code is ${String(bootCode.length)} bytes, over 440`);
  const mbr = Buffer.alloc(sector);
  bootCode.copy(mbr, 0);
  mbr.writeUInt32LE(signature >>> 0, 440);
  const entry = 446;
  mbr[entry] = 0x80; // bootable
  // CHS fields say "beyond CHS": BIOSes and syslinux use the LBA fields.
  mbr.set([0xfe, 0xff, 0xff], entry + 1);
  mbr[entry + 4] = fat16Lba;
  mbr.set([0xfe, 0xff, 0xff], entry + 5);
  mbr.writeUInt32LE(partitionStart, entry + 8);
  mbr.writeUInt32LE(sectors, entry + 12);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  return mbr;
}

export function syslinuxConfig(cmdline: string): string {
  return [
    'DEFAULT kcloud',
    'PROMPT 0',
    'TIMEOUT 0',
    'LABEL kcloud',
    '  LINUX /vmlinuz',
    '  INITRD /initrd.gz',
    `  APPEND ${cmdline}`,
    '',
  ].join('\n');
}

export interface BootDiskInputs {
  kernel: string;
  initrd: string;
  cmdline: string;
  /** The unpacked syslinux, syslinux-common and mtools packages. */
  tools: string;
}

/** Builds the disk in `work` and writes it as a qcow2 at `dest` (through a temporary name). */
export async function buildBootDisk(inputs: BootDiskInputs, work: string, dest: string) {
  const { tools } = inputs;
  // syslinux runs mcopy and mattrib: the unpacked ones, with no configuration file of the machine.
  const env = {
    ...process.env,
    PATH: `${path.join(tools, 'usr', 'bin')}:${process.env.PATH ?? ''}`,
    MTOOLSRC: '/dev/null',
    MTOOLS_SKIP_CHECK: '1',
  };
  const run = (file: string, args: string[]) =>
    toolOutput(file, args, {
      env,
      missingHint: 'the unpacked syslinux and mtools packages lack it',
    });
  const payload = (await stat(inputs.kernel)).size + (await stat(inputs.initrd)).size;
  // Room for the files, syslinux and FAT's tables, in whole MiB.
  const mib = Math.ceil((payload * 1.1) / 2 ** 20) + 2;
  const sectors = mib * 2048;
  const part = path.join(work, 'boot.fat');
  const cfg = path.join(work, 'syslinux.cfg');
  const mtools = path.join(tools, 'usr', 'bin');
  await run(path.join(mtools, 'mformat'), [
    '-i',
    part,
    '-C',
    '-T',
    String(sectors),
    '-h',
    '64',
    '-s',
    '32',
    '-H',
    String(partitionStart),
    '-v',
    'KCLOUDGUEST',
    '::',
  ]);
  await run(path.join(mtools, 'syslinux'), ['--install', part]);
  await writeFile(cfg, syslinuxConfig(inputs.cmdline));
  const mcopy = path.join(mtools, 'mcopy');
  await run(mcopy, ['-i', part, cfg, '::syslinux.cfg']);
  await run(mcopy, ['-i', part, inputs.kernel, '::vmlinuz']);
  await run(mcopy, ['-i', part, inputs.initrd, '::initrd.gz']);

  const raw = path.join(work, 'disk.raw');
  const bootCode = await readFile(path.join(tools, 'usr', 'lib', 'SYSLINUX', 'mbr.bin'));
  const disk = await open(raw, 'w');
  try {
    await disk.write(masterBootRecord(bootCode, sectors, 0x6b636c64));
    await disk.truncate(partitionStart * sector);
  } finally {
    await disk.close();
  }
  await pipeline(createReadStream(part), createWriteStream(raw, { flags: 'a' }));
  const partial = `${dest}.partial`;
  await rm(partial, { force: true });
  await toolOutput('qemu-img', ['convert', '-q', '-c', '-f', 'raw', '-O', 'qcow2', raw, partial], {
    missingHint: 'install Debian qemu-utils, or run make setup',
  });
  await rename(partial, dest);
  return { virtualBytes: (partitionStart + sectors) * sector };
}
