import { describe, expect, it } from '@jest/globals';
import { masterBootRecord, partitionStart, syslinuxConfig } from './boot-disk.ts';

describe('the boot disk', () => {
  it('has an MBR with the boot code and one bootable FAT16 partition from 1 MiB', () => {
    const code = Buffer.alloc(440, 0xab);
    const mbr = masterBootRecord(code, 40960, 0x6b636c64);
    expect(mbr.length).toBe(512);
    expect(mbr.subarray(0, 440).equals(code)).toBe(true);
    expect(mbr.readUInt32LE(440)).toBe(0x6b636c64);
    expect(mbr[446]).toBe(0x80);
    expect(mbr[446 + 4]).toBe(0x0e);
    expect(mbr.readUInt32LE(446 + 8)).toBe(partitionStart);
    expect(mbr.readUInt32LE(446 + 12)).toBe(40960);
    // The other three entries are empty.
    expect(mbr.subarray(462, 510).every((b) => b === 0)).toBe(true);
    expect([mbr[510], mbr[511]]).toEqual([0x55, 0xaa]);
    expect(() => masterBootRecord(Buffer.alloc(441), 1, 0)).toThrow('over 440');
  });

  it('boots the one entry at once with the command line given', () => {
    const cfg = syslinuxConfig('console=ttyS0 quiet');
    expect(cfg).toContain('DEFAULT kcloud\nPROMPT 0\nTIMEOUT 0\n');
    expect(cfg).toContain('  LINUX /vmlinuz\n  INITRD /initrd.gz\n  APPEND console=ttyS0 quiet\n');
  });
});
