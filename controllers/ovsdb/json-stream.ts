const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream of JSON values sent back to back with no delimiter, as OVSDB peers do,
 * into parsed values. It only tracks nesting depth and whether it is inside a string, which
 * is enough to find where each top-level object or array ends; JSON.parse does the rest.
 * Scanning bytes rather than decoded text is safe because every byte of a multi-byte UTF-8
 * character is >= 0x80, so it never looks like a quote, a backslash or a bracket, and a
 * character split across chunks is only decoded once the whole value is joined.
 */
export class JsonStreamParser {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private parts: Buffer[] = [];
  private partialBytes = 0;
  private readonly maxValueBytes: number;

  /** `maxValueBytes` bounds the memory one value may take before it is rejected. */
  constructor(maxValueBytes = 256 * 1024 * 1024) {
    this.maxValueBytes = maxValueBytes;
  }

  /** Feeds a chunk; returns the values it completed, in order. Throws on malformed input. */
  push(chunk: Buffer): unknown[] {
    const values: unknown[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        continue;
      }
      if (this.depth === 0) {
        if (c === SPACE || c === LF || c === CR || c === TAB) continue;
        if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
          throw new Error(
            `JSON stream: expected an object or array, got ${JSON.stringify(String.fromCharCode(c ?? 0))}`,
          );
        }
        start = i;
        this.depth = 1;
        continue;
      }
      if (c === QUOTE) {
        this.inString = true;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        this.depth++;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        this.depth--;
        if (this.depth === 0) {
          values.push(this.complete(chunk.subarray(start, i + 1)));
        }
      }
    }
    if (this.depth > 0) {
      const rest = chunk.subarray(start);
      this.partialBytes += rest.length;
      if (this.partialBytes > this.maxValueBytes) {
        throw new Error(`JSON stream: a value exceeds ${String(this.maxValueBytes)} bytes`);
      }
      this.parts.push(rest);
    }
    return values;
  }

  /** Bytes of an unfinished value held back, waiting for the rest of it. */
  pendingBytes(): number {
    return this.partialBytes;
  }

  private complete(last: Buffer): unknown {
    let bytes = last;
    if (this.parts.length > 0) {
      this.parts.push(last);
      bytes = Buffer.concat(this.parts);
      this.parts = [];
      this.partialBytes = 0;
    }
    return JSON.parse(bytes.toString('utf8'));
  }
}
