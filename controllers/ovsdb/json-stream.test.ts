import { describe, expect, it } from '@jest/globals';
import { JsonStreamParser } from './json-stream.ts';

const b = (s: string) => Buffer.from(s, 'utf8');

describe('JsonStreamParser', () => {
  it('returns every value of a chunk that holds several, back to back or spaced', () => {
    const p = new JsonStreamParser();
    expect(p.push(b('{"id":1}{"id":2} \n[3,4]\r\n\t{"id":5}'))).toEqual([
      { id: 1 },
      { id: 2 },
      [3, 4],
      { id: 5 },
    ]);
    expect(p.pendingBytes()).toBe(0);
  });

  it('joins a value split across chunks at every possible byte', () => {
    const text =
      '{"method":"update2","params":["m",{"T":{"u":{"modify":{"c":["set",[1,"}"]]}}}}],"id":null}{"x":[]}';
    const expected = [JSON.parse(text.slice(0, text.indexOf('{"x"'))), { x: [] }];
    for (let cut = 1; cut < text.length; cut++) {
      const p = new JsonStreamParser();
      const values = [...p.push(b(text.slice(0, cut))), ...p.push(b(text.slice(cut)))];
      expect(values).toEqual(expected);
    }
  });

  it('delivers a value only once its last chunk arrives', () => {
    const p = new JsonStreamParser();
    expect(p.push(b('{"a":'))).toEqual([]);
    expect(p.push(b('[1,'))).toEqual([]);
    expect(p.pendingBytes()).toBe(8);
    expect(p.push(b('2]}{"b"'))).toEqual([{ a: [1, 2] }]);
    expect(p.push(b(':true}'))).toEqual([{ b: true }]);
  });

  it('ignores braces, brackets and escaped quotes inside strings', () => {
    const p = new JsonStreamParser();
    const values = [
      { s: '}{][' },
      { s: 'say "hi" {' },
      { s: 'ends with a backslash \\' },
      { s: '\\"}' },
      ['[', '{', '"'],
    ];
    const text = values.map((v) => JSON.stringify(v)).join('');
    expect(p.push(b(text))).toEqual(values);
    // Split right after a backslash, so the escape spans two chunks.
    const p2 = new JsonStreamParser();
    const s = JSON.stringify({ s: 'a\\"}b' });
    const at = s.indexOf('\\') + 1;
    expect([...p2.push(b(s.slice(0, at))), ...p2.push(b(s.slice(at)))]).toEqual([{ s: 'a\\"}b' }]);
  });

  it('decodes a multi-byte character split between chunks', () => {
    const bytes = b('{"name":"vpc-é€😀"}');
    for (let cut = 1; cut < bytes.length; cut++) {
      const p = new JsonStreamParser();
      const values = [...p.push(bytes.subarray(0, cut)), ...p.push(bytes.subarray(cut))];
      expect(values).toEqual([{ name: 'vpc-é€😀' }]);
    }
  });

  it('rejects a top-level value that is not an object or array', () => {
    expect(() => new JsonStreamParser().push(b('{"a":1} 42'))).toThrow(
      'expected an object or array',
    );
  });

  it('rejects malformed JSON inside a balanced value', () => {
    expect(() => new JsonStreamParser().push(b('{"a":}'))).toThrow();
  });

  it('rejects a value larger than its limit', () => {
    const p = new JsonStreamParser(16);
    expect(p.push(b('{"a":"0123'))).toEqual([]);
    expect(() => p.push(b('456789abcdef'))).toThrow('exceeds 16 bytes');
  });
});
