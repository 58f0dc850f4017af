// What every hack/ command line shares: how it ends, and how it shows a recorded process.
import { residentBytes } from './processes.ts';

/** Runs a command's main and exits with its code; an error is printed without a stack. */
export function runCli(main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}

/** `name  pid 123  running  42 MiB`, or `dead`, for a status listing. */
export function processLine(
  p: { name: string; pid: number },
  alive: boolean,
  nameWidth = 16,
): string {
  const state = alive ? `running  ${(residentBytes(p.pid) / 2 ** 20).toFixed(0)} MiB` : 'dead';
  return `${p.name.padEnd(nameWidth)} pid ${String(p.pid).padEnd(8)} ${state}`;
}
