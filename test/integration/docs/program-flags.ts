// The flags a kcloud program accepts, read from its source: the option names it gives
// node:util's parseArgs and the `--flag` literals it compares arguments with, in the program,
// the files it imports directly, and every `flags.ts` (or `*-flags.ts`) reached through its
// imports — where each operator kcloud-manager hosts declares its own flags. A shell wrapper
// (hack/ovn.sh) stands for the program it runs.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const optionKey = /^\s*'?([a-z][a-z0-9-]*)'?\s*:\s*\{\s*type:\s*'(?:string|boolean)'/gm;
const flagLiteral = /['"`]--([a-z][a-z0-9-]*)/g;
const relativeImport = /from\s+'(\.{1,2}\/[^']+\.ts)'/g;
const wrappedProgram = /node\s+"?\$(?:root|\{root\})\/([\w./-]+\.ts)"?/;

/** The .ts program a command line names: itself, or what a shell wrapper execs. */
export async function programSource(root: string, program: string): Promise<string | undefined> {
  const file = path.join(root, program);
  if (!existsSync(file)) return undefined;
  if (!program.endsWith('.sh')) return program;
  const wrapped = wrappedProgram.exec(await readFile(file, 'utf8'))?.[1];
  return wrapped ?? program;
}

/** Every flag name (without dashes) the program declares; empty for a program that takes none. */
export async function declaredFlags(root: string, program: string): Promise<Set<string>> {
  const flags = new Set<string>();
  const source = await programSource(root, program);
  if (!source || source.endsWith('.sh')) return flags;
  const main = path.join(root, source);
  const scanned = new Set<string>();
  const seen = new Set<string>([main]);
  const queue: { file: string; depth: number }[] = [{ file: main, depth: 0 }];
  for (let next = queue.shift(); next; next = queue.shift()) {
    const { file, depth } = next;
    if (!existsSync(file)) continue;
    const t = await readFile(file, 'utf8');
    if (depth <= 1 || /(?:^|[/-])flags\.ts$/.test(file)) scanned.add(t);
    for (const m of t.matchAll(relativeImport)) {
      const f = path.resolve(path.dirname(file), m[1] ?? '');
      if (seen.has(f) || f.includes(`${path.sep}node_modules${path.sep}`)) continue;
      seen.add(f);
      queue.push({ file: f, depth: depth + 1 });
    }
  }
  for (const t of scanned) {
    for (const m of t.matchAll(optionKey)) flags.add(m[1] ?? '');
    for (const m of t.matchAll(flagLiteral)) flags.add(m[1] ?? '');
  }
  return flags;
}

/** Programs with a health endpoint run until stopped: the test starts them and stops them. */
export async function isLongRunning(root: string, program: string): Promise<boolean> {
  return (await declaredFlags(root, program)).has('health-addr');
}

/** `node <file>` and `hack/<script>.sh` in a command line, each with the flags given to it. */
export function programsIn(text: string): { program: string; flags: string[] }[] {
  const out: { program: string; flags: string[] }[] = [];
  const re =
    /(?:^|[\s;&|(])(?:node\s+((?!\/)[\w./-]+\.(?:ts|js))|((?:\.\/)?hack\/[\w./-]+\.sh))((?:[^;&|)#\n])*)/g;
  for (const m of text.matchAll(re)) {
    const program = (m[1] ?? m[2] ?? '').replace(/^\.\//, '');
    const flags = [...(m[3] ?? '').matchAll(/(?:^|\s|\[)--([a-z][a-z0-9-]*)/g)].map(
      (f) => f[1] ?? '',
    );
    out.push({ program, flags });
  }
  return out;
}
