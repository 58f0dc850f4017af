// What every benchmark's main shares: where its results go, and how it ends.
import path from 'node:path';
import { writeSection } from './markdown.ts';

const preamble = `# Benchmarks

Each section is written by one benchmark and replaced in place when it runs again.
`;

/** Writes the benchmark's section into `out` (docs/benchmarks.md by default) and prints it. */
export async function publishSection(
  out: string,
  heading: string,
  section: string,
  print: (line: string) => void,
): Promise<void> {
  await writeSection(out, heading, section, preamble);
  console.log(`\n## ${heading}\n\n${section}\n`);
  print(`wrote ${path.relative(process.cwd(), out)}`);
}

/** Runs a benchmark's main and exits: 0 when it finished, 1 (with the stack) when it failed. */
export function runBench(main: (argv: string[]) => Promise<void>): void {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exit(1);
    },
  );
}
