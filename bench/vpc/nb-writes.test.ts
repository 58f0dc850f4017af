import { describe, expect, it } from '@jest/globals';
import { bulkInsert, nbctlArgs, roundOrder, writers } from './nb-writes.ts';

describe('bulk writes', () => {
  it('writes the same rows both ways: a switch and its named ports', () => {
    const ops = bulkInsert('sw', 3);
    expect(ops).toHaveLength(5);
    expect(ops[0]).toMatchObject({ op: 'insert', table: 'Logical_Switch', row: { name: 'sw' } });
    expect(ops.slice(1, 4).map((o) => (o as { row: { name: string } }).row.name)).toEqual([
      'sw-p0',
      'sw-p1',
      'sw-p2',
    ]);
    expect(ops[4]).toMatchObject({ op: 'mutate', table: 'Logical_Switch' });
    expect(nbctlArgs('sw', 2)).toEqual([
      'ls-add',
      'sw',
      '--',
      'lsp-add',
      'sw',
      'sw-p0',
      '--',
      'lsp-add',
      'sw',
      'sw-p1',
    ]);
  });

  it('lets each writer go first in turn', () => {
    expect(roundOrder(writers, 0)).toEqual(['client', 'client-unmonitored', 'nbctl']);
    expect(roundOrder(writers, 1)).toEqual(['client-unmonitored', 'nbctl', 'client']);
    expect(roundOrder(writers, 2)).toEqual(['nbctl', 'client', 'client-unmonitored']);
    expect(roundOrder(writers, 3)).toEqual(roundOrder(writers, 0));
  });
});
