// What every hack/ command line shares: how it ends, and how it shows a recorded process.
import { residentBytes } from './processes.ts';

/** Runs a command's main and exits with its code (kcloud's commands all end this way). */
export { runCommand as runCli } from '../../controllers/cli/index.ts';

/** `name  pid 123  running  42 MiB`, or `dead`, for a status listing. */
export function processLine(
  p: { name: string; pid: number },
  alive: boolean,
  nameWidth = 16,
): string {
  const state = alive ? `running  ${(residentBytes(p.pid) / 2 ** 20).toFixed(0)} MiB` : 'dead';
  return `${p.name.padEnd(nameWidth)} pid ${String(p.pid).padEnd(8)} ${state}`;
}
