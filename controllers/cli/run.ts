// What every command line of kcloud shares: how it prints its result and how it ends.

/**
 * Writes `text` to stdout and resolves once it is handed to the system: stdout on a pipe is
 * written asynchronously, and what a command exits right after printing would be cut short.
 */
export function writeOut(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => {
      if (err) reject(err);
      else resolve();
    });
  });
}

/** Runs a command's main and exits with its code; an error is printed without a stack. */
export function runCommand(main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
