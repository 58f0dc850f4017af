import { spawn } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { awaitExit, hasExited, isExiting } from './processes.ts';

function exited(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
}

describe('telling a process that has exited from one on its way out', () => {
  it('sees a running process as neither exited nor exiting', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = child.pid ?? 0;
    try {
      expect(hasExited(pid)).toBe(false);
      expect(isExiting(pid)).toBe(false);
      // A running program is not waited for: the wait returns at once, well before its bound.
      await awaitExit({ name: 'x', pid, binary: '/bin/sleep', startedAt: '' }, 60_000);
      expect(hasExited(pid)).toBe(false);
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }
    expect(hasExited(pid)).toBe(true);
    expect(isExiting(pid)).toBe(false);
  });

  it('treats a PID that does not exist as exited', () => {
    expect(hasExited(2 ** 22 + 1)).toBe(true);
    expect(isExiting(2 ** 22 + 1)).toBe(false);
  });
});
