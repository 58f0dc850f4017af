import { describe, expect, it } from '@jest/globals';
import { diskSourceFromTarget } from './attach-target.ts';
import { checkDisk } from './vm-definition.ts';

describe('diskSourceFromTarget', () => {
  it('opens a file pool volume as a file of its format', () => {
    const source = diskSourceFromTarget({
      file: { path: '/pools/p/volume-1.qcow2', format: 'qcow2' },
    });
    expect(source).toEqual({ kind: 'file', path: '/pools/p/volume-1.qcow2', format: 'qcow2' });
    expect(() => {
      checkDisk({ id: 'vol0', source });
    }).not.toThrow();
  });

  it('opens an RBD volume through the ceph.conf EVS wrote (monitors and keyring in it)', () => {
    const source = diskSourceFromTarget({
      rbd: {
        pool: 'ssd',
        image: 'volume-1',
        user: 'kcloud-agent',
        conf: '/var/lib/kcloud/evs/ssd/ceph.conf',
      },
    });
    expect(source).toEqual({
      kind: 'rbd',
      pool: 'ssd',
      image: 'volume-1',
      user: 'kcloud-agent',
      conf: '/var/lib/kcloud/evs/ssd/ceph.conf',
      monitors: [],
    });
    expect(() => {
      checkDisk({ id: 'vol0', source });
    }).not.toThrow();
  });

  it('refuses a target with neither or both members, or another format', () => {
    expect(() => diskSourceFromTarget({})).toThrow(/exactly one of a file or an RBD image/);
    expect(() =>
      diskSourceFromTarget({
        file: { path: '/x', format: 'raw' },
        rbd: { pool: 'p', image: 'i', user: 'u', conf: '/c' },
      }),
    ).toThrow(/exactly one/);
    expect(() => diskSourceFromTarget({ file: { path: '/x', format: 'vmdk' } })).toThrow(
      'volume format "vmdk" is not qcow2 or raw',
    );
  });
});
