import { describe, expect, it } from '@jest/globals';
import { parseEntry } from './file-layout.ts';

describe('file pool layout', () => {
  it('reads what each file in the pool directory is', () => {
    expect(parseEntry('vol-a1.qcow2')).toEqual({
      file: 'vol-a1.qcow2',
      kind: 'Volume',
      uid: 'a1',
      role: 'data',
    });
    expect(parseEntry('snap-b2.json')).toMatchObject({
      kind: 'VolumeSnapshot',
      uid: 'b2',
      role: 'sidecar',
    });
    expect(parseEntry('img-c3.download.partial-mxa79wqi-abcdef')).toMatchObject({
      kind: 'Image',
      uid: 'c3',
      role: 'download',
      partial: { attemptId: 'mxa79wqi-abcdef', startedAt: new Date(parseInt('mxa79wqi', 36)) },
    });
    expect(parseEntry('q-mxa79wqi-vol-a1.json')).toMatchObject({
      kind: 'Volume',
      role: 'sidecar',
      quarantinedAt: new Date(parseInt('mxa79wqi', 36)),
    });
    expect(parseEntry('lost+found')).toBeUndefined();
    expect(parseEntry('notes.txt')).toBeUndefined();
  });
});
