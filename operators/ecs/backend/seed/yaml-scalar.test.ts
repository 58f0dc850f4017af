import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { SeedError } from './seed-error.ts';
import { yamlString } from './yaml-scalar.ts';

const hostile = [
  'plain',
  'key: value',
  'x\nkey: injected',
  'x\r\n- item',
  '"quoted" and \'single\'',
  'back\\slash\\n not a newline',
  '# not a comment',
  '- not a list',
  '{a: b}, [c]',
  '&anchor *alias !!python/object:os.system',
  '%YAML 1.1',
  'tab\there',
  'del\x7f and bell\x07 and nul\x00',
  'ünï ☃ 😀',
  'line\u2028separator\u2029and next\u0085line',
  '\ufeffbom',
  ' leading and trailing ',
  '',
];

describe('yamlString', () => {
  it.each(['1.1', '1.2'] as const)(
    'is read back by a YAML %s parser as exactly the string, under the one key it was written for',
    (version) => {
      for (const value of hostile) {
        const doc = `a: ${yamlString(value)}\nb: "after"\n`;
        expect(parse(doc, { version })).toEqual({ a: value, b: 'after' });
      }
    },
  );

  it('writes printable ASCII only, on one line', () => {
    for (const value of hostile) {
      expect(yamlString(value)).toMatch(/^"[\x20-\x7e]*"$/);
    }
    expect(yamlString('a\nb: c')).toBe('"a\\nb: c"');
    expect(yamlString('😀')).toBe('"\\U0001F600"');
  });

  it('refuses a lone surrogate, which no UTF-8 file can hold', () => {
    expect(() => yamlString('a\ud800b')).toThrow(SeedError);
    expect(() => yamlString('\udc00')).toThrow('lone UTF-16 surrogate');
  });
});
