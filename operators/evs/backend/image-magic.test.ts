import { describe, expect, it } from '@jest/globals';
import { formatOf } from './image-magic.ts';

const at = (offset: number, bytes: Buffer) => {
  const header = Buffer.alloc(512);
  bytes.copy(header, offset);
  return header;
};

describe('image signatures', () => {
  it('tell qcow2 and the formats kcloud refuses from raw', () => {
    expect(formatOf(at(0, Buffer.from([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3])))).toBe('qcow2');
    expect(formatOf(at(0, Buffer.from('# Disk DescriptorFile\nversion=1\n')))).toBe('vmdk');
    expect(formatOf(at(0, Buffer.from('KDMV')))).toBe('vmdk');
    expect(formatOf(at(0, Buffer.from('vhdxfile')))).toBe('vhdx');
    expect(formatOf(at(0x40, Buffer.from([0x7f, 0x10, 0xda, 0xbe])))).toBe('vdi');
    expect(formatOf(at(0, Buffer.from([0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe])))).toBe('luks');
  });

  it('call anything else raw, a file shorter than a signature included', () => {
    expect(formatOf(Buffer.alloc(512))).toBe('raw');
    expect(formatOf(Buffer.from('QF'))).toBe('raw');
    expect(formatOf(Buffer.alloc(0))).toBe('raw');
    // A boot sector is a disk's first bytes, not a container format.
    expect(formatOf(at(510, Buffer.from([0x55, 0xaa])))).toBe('raw');
  });
});
