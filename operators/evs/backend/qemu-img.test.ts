import { describe, expect, it } from '@jest/globals';
import {
  asDiskFormat,
  convertArgs,
  createArgs,
  infoArgs,
  parseQemuImgInfo,
  resizeArgs,
  snapshotArgs,
} from './qemu-img.ts';

// As qemu-img 7.2 prints them.
const overlay = JSON.stringify({
  'backing-filename-format': 'qcow2',
  snapshots: [
    {
      icount: 0,
      'vm-clock-nsec': 0,
      name: 'snap-1',
      'date-sec': 1796461612,
      'date-nsec': 857980000,
      'vm-clock-sec': 0,
      id: '1',
      'vm-state-size': 0,
    },
  ],
  'virtual-size': 31457280,
  filename: 'v.qcow2',
  'cluster-size': 65536,
  format: 'qcow2',
  'actual-size': 208896,
  'format-specific': {
    type: 'qcow2',
    data: { compat: '1.1', 'refcount-bits': 16, corrupt: false, 'extended-l2': false },
  },
  'full-backing-filename': 'img-1.qcow2',
  'backing-filename': 'img-1.qcow2',
  'dirty-flag': false,
});

describe('qemu-img info', () => {
  it('reads size, backing file and snapshots', () => {
    expect(parseQemuImgInfo(overlay)).toEqual({
      format: 'qcow2',
      virtualSizeBytes: 31457280,
      actualSizeBytes: 208896,
      backingFile: 'img-1.qcow2',
      backingFormat: 'qcow2',
      encrypted: false,
      corrupt: false,
      snapshots: [{ name: 'snap-1', createdAt: new Date(1796461612857) }],
    });
  });

  it('sees an external data file, encryption and corruption', () => {
    const info = parseQemuImgInfo(
      JSON.stringify({
        format: 'qcow2',
        'virtual-size': 1,
        encrypted: true,
        'format-specific': { type: 'qcow2', data: { 'data-file': '/etc/shadow', corrupt: true } },
      }),
    );
    expect(info).toMatchObject({ dataFile: '/etc/shadow', encrypted: true, corrupt: true });
  });

  it('refuses output that is not qemu-img JSON', () => {
    expect(() => parseQemuImgInfo('qemu-img: Could not open')).toThrow(/no JSON/);
    expect(() => parseQemuImgInfo('{"format":"raw"}')).toThrow(/virtual-size/);
  });
});

describe('qemu-img arguments', () => {
  it('always names the backing format of a clone and the source format of a conversion', () => {
    expect(
      createArgs({
        target: '/p/vol-1.qcow2.partial-x',
        format: 'qcow2',
        sizeBytes: 1048576,
        backing: { file: 'img-1.qcow2', format: 'qcow2' },
      }),
    ).toEqual([
      'create',
      '-q',
      '-f',
      'qcow2',
      '-b',
      'img-1.qcow2',
      '-F',
      'qcow2',
      '/p/vol-1.qcow2.partial-x',
      '1048576',
    ]);
    expect(
      convertArgs({
        source: '/s/in',
        sourceFormat: 'raw',
        target: '/p/out',
        targetFormat: 'qcow2',
      }),
    ).toEqual(['convert', '-q', '-f', 'raw', '-O', 'qcow2', '/s/in', '/p/out']);
    expect(
      convertArgs({
        source: '/p/vol-1.qcow2',
        sourceFormat: 'qcow2',
        sourceSnapshot: 'snap-2',
        target: '/p/out',
        targetFormat: 'qcow2',
        backing: { file: 'img-1.qcow2', format: 'qcow2' },
      }),
    ).toEqual([
      'convert',
      '-q',
      '-f',
      'qcow2',
      '-l',
      'snapshot.name=snap-2',
      '-O',
      'qcow2',
      '-B',
      'img-1.qcow2',
      '-F',
      'qcow2',
      '/p/vol-1.qcow2',
      '/p/out',
    ]);
  });

  it('never shrinks, and reads headers of images in use only when asked', () => {
    expect(resizeArgs('/p/v', 'qcow2', 2097152)).toEqual([
      'resize',
      '-q',
      '-f',
      'qcow2',
      '/p/v',
      '2097152',
    ]);
    expect(infoArgs('/p/v')).toEqual(['info', '--output=json', '/p/v']);
    expect(infoArgs('/p/v', { format: 'qcow2', forceShare: true })).toEqual([
      'info',
      '--output=json',
      '--force-share',
      '-f',
      'qcow2',
      '/p/v',
    ]);
    expect(snapshotArgs('apply', 'snap-1', '/p/v')).toEqual([
      'snapshot',
      '-q',
      '-a',
      'snap-1',
      '/p/v',
    ]);
  });

  it('accepts only qcow2 and raw', () => {
    expect(asDiskFormat('qcow2')).toBe('qcow2');
    expect(asDiskFormat('raw')).toBe('raw');
    expect(asDiskFormat('vmdk')).toBeUndefined();
  });
});
