// A YAML scalar that is exactly the given string whatever it holds: double-quoted, with every
// character outside printable ASCII escaped. A colon, a quote, a `#` or a line break in a
// value stays inside the value; nothing a user writes can end the scalar or start a key. The
// output is plain ASCII, read the same by YAML 1.1 (PyYAML, cloud-init) and YAML 1.2.
import { SeedError } from './seed-error.ts';

function hex(n: number, digits: number): string {
  return n.toString(16).toUpperCase().padStart(digits, '0');
}

export function yamlString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0d) out += '\\r';
    else if (c >= 0x20 && c < 0x7f) out += value[i] ?? '';
    else if (c < 0x20 || c === 0x7f) out += `\\x${hex(c, 2)}`;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const lo = value.charCodeAt(i + 1);
      if (!(lo >= 0xdc00 && lo <= 0xdfff)) {
        throw new SeedError('a string holds a lone UTF-16 surrogate, which no file can encode');
      }
      out += `\\U${hex(0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00), 8)}`;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      throw new SeedError('a string holds a lone UTF-16 surrogate, which no file can encode');
    } else out += `\\u${hex(c, 4)}`;
  }
  return out + '"';
}
