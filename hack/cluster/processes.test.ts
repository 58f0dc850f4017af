import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { isOurs, startDetached, stopProcess, type RecordedProcess } from './processes.ts';

const sh = '/bin/sh';
let dir = '';

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function logFile(): Promise<string> {
  dir ||= await mkdtemp(path.join(os.tmpdir(), 'kcloud-proc-'));
  return path.join(dir, `${String(Date.now())}.log`);
}

/** Waits until the process has written `text`: signals sent earlier could beat its startup. */
async function waitForLog(file: string, text: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await readFile(file, 'utf8')).includes(text)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${file} never said ${text}`);
}

describe('recorded processes', () => {
  it('starts a detached process, logs its output and stops it by PID', async () => {
    const log = await logFile();
    const proc = startDetached(
      'sleeper',
      sh,
      ['-c', 'echo started; while :; do sleep 0.1; done'],
      log,
    );
    expect(isOurs(proc)).toBe(true);
    await waitForLog(log, 'started');
    await stopProcess(proc);
    expect(isOurs(proc)).toBe(false);
  });

  it('does not claim a PID that now runs another program', () => {
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const stale: RecordedProcess = {
        name: 'etcd',
        pid: other.pid ?? 0,
        binary: '/nonexistent/etcd',
        startedAt: new Date().toISOString(),
      };
      expect(isOurs(stale)).toBe(false);
    } finally {
      other.kill();
    }
  });

  it('escalates to SIGKILL when a process ignores SIGTERM', async () => {
    const log = await logFile();
    const proc = startDetached(
      'stubborn',
      sh,
      ['-c', "trap '' TERM; echo ready; while :; do sleep 0.1; done"],
      log,
    );
    // Wait until the trap is installed, or SIGTERM could arrive before it.
    await waitForLog(log, 'ready');
    await stopProcess(proc, 300);
    expect(isOurs(proc)).toBe(false);
  });

  it('tells programs run by one loader apart by the program its command line names', async () => {
    // A program started through a loader: /proc/<pid>/exe is the loader whatever it runs.
    const loader = '/lib64/ld-linux-x86-64.so.2';
    const libraries = '/lib/x86_64-linux-gnu';
    const program = (file: string) => ['--library-path', libraries, file];
    const proc: RecordedProcess = {
      ...startDetached('sleeper', loader, [...program('/bin/sleep'), '30'], await logFile()),
      leading: program('/bin/sleep'),
    };
    const another: RecordedProcess = { ...proc, leading: program('/usr/sbin/ovsdb-server') };
    try {
      expect(isOurs(proc)).toBe(true);
      // The same PID recorded as another program of that loader (a reused PID) is not ours,
      // and stopping that record leaves the process alone.
      expect(isOurs(another)).toBe(false);
      await stopProcess(another);
      expect(isOurs(proc)).toBe(true);
    } finally {
      await stopProcess(proc);
    }
    expect(isOurs(proc)).toBe(false);
  });

  it('treats a PID that does not exist as not ours', () => {
    expect(isOurs({ name: 'x', pid: 2 ** 22 + 1, binary: sh, startedAt: '' })).toBe(false);
  });
});
