import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A Markdown table laid out as Prettier lays it out (cells padded to the column's width, pipes
 * escaped), so a generated file passes the format check unchanged.
 */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const cells = [header, ...rows].map((row) =>
    header.map((_, i) => (row[i] ?? '').replaceAll('|', '\\|')),
  );
  const widths = header.map((_, i) => Math.max(3, ...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]) =>
    `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const [head, ...body] = cells;
  return [
    line(head ?? []),
    `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...body.map(line),
  ].join('\n');
}

function isFence(line: string): boolean {
  return /^\s{0,3}(```|~~~)/.test(line);
}

/**
 * Replaces the `## heading` section of a Markdown document (its heading line up to the next
 * `## ` heading or the end) with `## heading` and `body`; appends it when there is none. Other
 * sections, and the text before the first one, are kept as they are.
 */
export function replaceSection(doc: string, heading: string, body: string): string {
  const lines = doc.split('\n');
  const title = `## ${heading}`;
  let start = -1;
  let end = lines.length;
  let fenced = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (isFence(line)) fenced = !fenced;
    if (fenced || !line.startsWith('## ')) continue;
    if (start < 0 && line.trimEnd() === title) {
      start = i;
    } else if (start >= 0) {
      end = i;
      break;
    }
  }
  const section = `${title}\n\n${body.trim()}\n`;
  const trimmedEnd = (text: string) => text.replace(/\n+$/, '');
  if (start < 0) {
    const before = trimmedEnd(doc);
    return before ? `${before}\n\n${section}` : section;
  }
  const before = trimmedEnd(lines.slice(0, start).join('\n'));
  const after = trimmedEnd(lines.slice(end).join('\n'));
  return [before, section.trimEnd(), after].filter((part) => part !== '').join('\n\n') + '\n';
}

/** Writes one section into a Markdown file, creating the file with `preamble` if needed. */
export async function writeSection(
  file: string,
  heading: string,
  body: string,
  preamble: string,
): Promise<void> {
  const doc = existsSync(file) ? await readFile(file, 'utf8') : `${preamble.trim()}\n`;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, replaceSection(doc, heading, body));
}
