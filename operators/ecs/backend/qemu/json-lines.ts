/**
 * QMP and the guest agent both send one JSON document per line. Bytes arrive in arbitrary
 * chunks; this keeps the unfinished tail until its newline comes.
 */
export class LineBuffer {
  private pending: Buffer = Buffer.alloc(0);

  /** The complete, non-blank lines `chunk` finishes, as text. */
  push(chunk: Buffer): string[] {
    this.append(chunk);
    return this.lines();
  }

  append(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
  }

  /** Bytes held that are not yet a complete line. */
  get size(): number {
    return this.pending.length;
  }

  /** The complete, non-blank lines held, as text. */
  lines(): string[] {
    const lines: string[] = [];
    for (let nl = this.pending.indexOf(0x0a); nl >= 0; nl = this.pending.indexOf(0x0a)) {
      const line = this.pending.subarray(0, nl).toString('utf8').trim();
      this.pending = this.pending.subarray(nl + 1);
      if (line !== '') lines.push(line);
    }
    return lines;
  }

  /** The next complete, non-blank line, leaving the rest held; undefined when there is none. */
  nextLine(): string | undefined {
    for (let nl = this.pending.indexOf(0x0a); nl >= 0; nl = this.pending.indexOf(0x0a)) {
      const line = this.pending.subarray(0, nl).toString('utf8').trim();
      this.pending = this.pending.subarray(nl + 1);
      if (line !== '') return line;
    }
    return undefined;
  }

  /** Forgets everything not yet returned (the guest agent's resync). */
  clear(): void {
    this.pending = Buffer.alloc(0);
  }

  /** Drops everything up to and including the first `byte`; false (and nothing dropped) when absent. */
  skipPast(byte: number): boolean {
    const at = this.pending.indexOf(byte);
    if (at < 0) return false;
    this.pending = this.pending.subarray(at + 1);
    return true;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
