// Waiting for a server started in a namespace to say it accepts connections.
import type { ChildProcess } from 'node:child_process';

/** Resolves once the child prints "listening"; rejects if it exits first. */
export function untilListening(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('listening')) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      reject(new Error(`${what} exited (${String(code)}) before listening: ${err}`));
    });
  });
}
