import { describe, expect, it } from '@jest/globals';
import { CommandError } from '../exec.ts';
import {
  classifyRbd,
  imageSpec,
  parseChildren,
  parseImageInfo,
  parseImageList,
  parseWatchers,
  parseMeta,
  parsePoolCapacity,
  parseSnapshots,
  parseUsedBytes,
  qemuRbdFilename,
  rbdArgs,
  rbdBlockdev,
  rbdMessage,
} from './rbd-cli.ts';

const conn = { pool: 'evs', user: 'kcloud-evs', conf: '/run/kcloud/evs.conf' };

// As Ceph 16.2's rbd prints them.
describe('rbd JSON', () => {
  it('reads an image and its parent', () => {
    const info = parseImageInfo(
      '{"name":"c1","id":"1047b080e931","size":10485760,"objects":3,"order":22,"format":2,"parent":{"pool":"evs","pool_namespace":"","image":"img-1","id":"10379fd9463c","snapshot":"base","trash":false,"overlap":10485760}}',
    );
    expect(info).toEqual({
      name: 'c1',
      sizeBytes: 10485760,
      parent: { pool: 'evs', image: 'img-1', snapshot: 'base' },
    });
    expect(parseImageInfo('{"name":"t1","size":1}').parent).toBeUndefined();
  });

  it('reads snapshots, with protected as Ceph 16 prints it (a string)', () => {
    expect(
      parseSnapshots(
        '[{"id":4,"name":"snap-1","size":10485760,"protected":"true","timestamp":"Sat Dec  5 09:34:45 2026"},{"id":5,"name":"a","size":1,"protected":"false","timestamp":"Sat Dec  5 09:34:50 2026"}]',
      ),
    ).toEqual([
      {
        name: 'snap-1',
        sizeBytes: 10485760,
        protected: true,
        createdAt: new Date('Sat Dec  5 09:34:45 2026'),
      },
      {
        name: 'a',
        sizeBytes: 1,
        protected: false,
        createdAt: new Date('Sat Dec  5 09:34:50 2026'),
      },
    ]);
  });

  it('reads lists, children, image-meta and du', () => {
    expect(parseImageList('["vol-1","img-2"]')).toEqual(['vol-1', 'img-2']);
    expect(
      parseWatchers(
        '{"watchers":[{"address":"127.0.0.1:0/3532745721","client":4123,"cookie":1},{"client":5}]}',
      ),
    ).toEqual(['127.0.0.1:0/3532745721']);
    expect(parseWatchers('{"watchers":[]}')).toEqual([]);
    expect(parseChildren('[{"pool":"evs","pool_namespace":"","image":"vol-3"}]')).toEqual([
      { pool: 'evs', image: 'vol-3' },
    ]);
    expect(parseMeta('{"kcloud.owner":"{\\"uid\\":\\"1\\"}"}')).toEqual({
      'kcloud.owner': '{"uid":"1"}',
    });
    expect(
      parseUsedBytes(
        '{"images":[{"name":"v","snapshot":"s","provisioned_size":8,"used_size":4},{"name":"v","provisioned_size":8,"used_size":6}]}',
      ),
    ).toBe(6);
    expect(() => parseImageList('rbd: error')).toThrow(/no JSON/);
  });

  it('takes a pool capacity from ceph df, capped by its quota', () => {
    const df =
      '{"stats":{"total_bytes":21474836480},"pools":[{"name":"evs","id":1,"stats":{"stored":1000,"max_avail":9000}}]}';
    expect(parsePoolCapacity(df, '{"quota_max_bytes":0}', 'evs')).toEqual({
      totalBytes: 10000,
      availableBytes: 9000,
    });
    expect(parsePoolCapacity(df, '{"quota_max_bytes":4000}', 'evs')).toEqual({
      totalBytes: 4000,
      availableBytes: 3000,
    });
    expect(parsePoolCapacity(df, '{}', 'other')).toBeUndefined();
  });
});

describe('rbd and QEMU arguments', () => {
  it('connect through the pool conf as the pool user', () => {
    expect(rbdArgs(conn, ['ls', 'evs'])).toEqual([
      '--conf',
      '/run/kcloud/evs.conf',
      '--id',
      'kcloud-evs',
      'ls',
      'evs',
    ]);
    expect(imageSpec(conn, 'vol-1', 'snap-2')).toBe('evs/vol-1@snap-2');
  });

  it("escape QEMU's rbd: separators in values", () => {
    expect(qemuRbdFilename(conn, 'vol-1')).toBe(
      'rbd:evs/vol-1:id=kcloud-evs:conf=/run/kcloud/evs.conf',
    );
    expect(qemuRbdFilename({ ...conn, conf: '/a:b\\c.conf' }, 'vol-1')).toBe(
      'rbd:evs/vol-1:id=kcloud-evs:conf=/a\\:b\\\\c.conf',
    );
  });

  it('give QEMU the rbd driver with credentials by path', () => {
    expect(rbdBlockdev(conn, 'vol-1')).toEqual({
      driver: 'rbd',
      pool: 'evs',
      image: 'vol-1',
      user: 'kcloud-evs',
      conf: '/run/kcloud/evs.conf',
    });
  });
});

describe('rbd failures', () => {
  const failed = (stderr: string) =>
    new CommandError('rbd', { stderr, aborted: false, notInstalled: false }, new Error('exit 1'));

  it.each([
    ['rbd: error opening image none: (2) No such file or directory', 'NotFound'],
    ['rbd: error opening pool other: (2) No such file or directory', 'PoolUnreachable'],
    ["rbd: couldn't connect to the cluster!", 'PoolUnreachable'],
    ['rbd: create error: (1) Operation not permitted', 'PoolUnreachable'],
    ['rbd: error: image still has watchers', 'Busy'],
    ['rbd: image has snapshots - these must be deleted', 'HasSnapshots'],
    ['rbd: create error: (122) Disk quota exceeded', 'NoSpace'],
    ['something else', undefined],
  ])('%s is %s', (stderr, reason) => {
    expect(classifyRbd(failed(stderr))).toBe(reason);
  });

  it('drop progress lines from messages', () => {
    expect(
      rbdMessage(
        "Removing image: 0% complete...failed.\nrbd: image has snapshots - these must be deleted with 'rbd snap purge'\n",
      ),
    ).toBe("rbd: image has snapshots - these must be deleted with 'rbd snap purge'");
  });
});
