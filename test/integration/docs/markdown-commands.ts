// What the documentation shows a user to type: fenced shell and YAML blocks, and inline code
// spans that start with a command, each with the file and line it is on.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** One command as a user would type it; continuation lines joined, the first line's number. */
export interface CommandLine {
  line: number;
  text: string;
}

export interface ShellSnippet {
  kind: 'shell';
  file: string;
  line: number;
  /** From a fenced block (run as one script) or an inline code span (a script of one line). */
  source: 'block' | 'inline';
  lines: CommandLine[];
}

export interface YamlSnippet {
  kind: 'yaml';
  file: string;
  line: number;
  text: string;
}

export type Snippet = ShellSnippet | YamlSnippet;

const shellLanguages = new Set(['sh', 'bash', 'shell', 'console']);
const yamlLanguages = new Set(['yaml', 'yml']);

/**
 * The first words that make an inline code span a command line. A span of one word (`helm`,
 * `kubectl`) names a program and is not one.
 */
export const commandWords = [
  'make',
  'kubectl',
  'node',
  'npm',
  'helm',
  'skopeo',
  'ctr',
  'git',
  'go',
  'modprobe',
  'sudo',
  'apt-get',
  'ovn-nbctl',
  'ovn-sbctl',
  'ovs-vsctl',
  'ovs-dpctl',
  'ovn-trace',
  'ovn-appctl',
];

export function isCommandSpan(span: string): boolean {
  const words = span.trim().split(/\s+/);
  const first = words[0] ?? '';
  if (words.length < 2) return false;
  return commandWords.includes(first) || /^(\.\/)?hack\/\S+\.sh$/.test(first);
}

/** README.md and every docs/*.md, relative to the repository root. */
export async function documentationFiles(root: string): Promise<string[]> {
  const docs = (await readdir(path.join(root, 'docs')))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => path.join('docs', f));
  return ['README.md', ...docs];
}

/**
 * Joins `\` continuations, and keeps a here-document (`<<'YAML'` ... `YAML`) with the command
 * that reads it; each command keeps the number of its first line.
 */
export function commandLines(lines: readonly { line: number; text: string }[]): CommandLine[] {
  const out: CommandLine[] = [];
  let pending: CommandLine | undefined;
  let heredoc: string | undefined;
  for (const { line, text } of lines) {
    if (heredoc !== undefined && pending) {
      pending = { line: pending.line, text: `${pending.text}\n${text}` };
      if (text.trim() === heredoc) {
        out.push(pending);
        pending = undefined;
        heredoc = undefined;
      }
      continue;
    }
    const continued = /\\\s*$/.test(text);
    const part = continued ? text.replace(/\\\s*$/, '') : text;
    pending = pending
      ? { line: pending.line, text: `${pending.text} ${part.trim()}` }
      : { line, text: part };
    const opens = /<<-?\s*(['"]?)([A-Za-z_]\w*)\1/.exec(part);
    if (opens) {
      heredoc = opens[2];
      continue;
    }
    if (!continued) {
      out.push(pending);
      pending = undefined;
    }
  }
  if (pending) out.push(pending);
  return out;
}

/** Every shell and YAML snippet of one Markdown file. */
export function snippetsOf(file: string, markdown: string): Snippet[] {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  let fence:
    | { indent: number; lang: string; line: number; body: { line: number; text: string }[] }
    | undefined;
  const prose: { line: number; text: string }[] = [];
  lines.forEach((text, i) => {
    const line = i + 1;
    const open = /^(\s*)```\s*([\w-]*)\s*$/.exec(text);
    if (fence) {
      if (/^\s*```\s*$/.test(text)) {
        if (shellLanguages.has(fence.lang)) {
          snippets.push({
            kind: 'shell',
            file,
            line: fence.line,
            source: 'block',
            lines: commandLines(fence.body),
          });
        } else if (yamlLanguages.has(fence.lang)) {
          snippets.push({
            kind: 'yaml',
            file,
            line: fence.line,
            text: fence.body.map((b) => b.text).join('\n'),
          });
        }
        fence = undefined;
      } else {
        const indent = fence.indent;
        fence.body.push({
          line,
          text: text.slice(Math.min(indent, text.length - text.trimStart().length)),
        });
      }
      return;
    }
    if (open) {
      fence = { indent: open[1]?.length ?? 0, lang: (open[2] ?? '').toLowerCase(), line, body: [] };
      return;
    }
    prose.push({ line, text });
  });
  snippets.push(...inlineCommands(file, prose));
  return snippets;
}

/** Inline code spans that are command lines; a span may wrap onto the next line. */
function inlineCommands(file: string, prose: { line: number; text: string }[]): ShellSnippet[] {
  const out: ShellSnippet[] = [];
  // Paragraphs, so that a span broken across two lines is still one span.
  let para: { line: number; text: string }[] = [];
  const flush = () => {
    if (para.length === 0) return;
    const starts: number[] = [];
    let joined = '';
    for (const p of para) {
      starts.push(joined.length);
      joined += `${p.text}\n`;
    }
    for (const m of joined.matchAll(/(`+)([^`]+?)\1/g)) {
      const span = (m[2] ?? '').replace(/\s*\n\s*/g, ' ').trim();
      if (!isCommandSpan(span)) continue;
      const at = m.index;
      let idx = 0;
      while (idx + 1 < starts.length && (starts[idx + 1] ?? Infinity) <= at) idx++;
      const line = para[idx]?.line ?? 0;
      out.push({ kind: 'shell', file, line, source: 'inline', lines: [{ line, text: span }] });
    }
    para = [];
  };
  for (const p of prose) {
    if (p.text.trim() === '') flush();
    else para.push(p);
  }
  flush();
  return out;
}

export async function documentationSnippets(root: string): Promise<Snippet[]> {
  const out: Snippet[] = [];
  for (const file of await documentationFiles(root)) {
    out.push(...snippetsOf(file, await readFile(path.join(root, file), 'utf8')));
  }
  return out;
}
