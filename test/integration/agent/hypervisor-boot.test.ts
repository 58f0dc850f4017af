// runBoot's guarantee, with real processes: on the timeout the whole process group is killed
// (a QEMU that forked a helper included) and the answer comes only once all of it is gone.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runBoot } from '../../../agent/host/hypervisor/index.ts';
import { repoRoot } from '../../../hack/cluster/index.ts';
import { running, runningInGroup } from './hypervisor-processes.ts';

let dir: string;

async function waitFor(done: () => boolean, ms: number): Promise<void> {
  for (const deadline = Date.now() + ms; !done() && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kcloud-boot-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runBoot', () => {
  it('kills the process group of a boot that hangs, and answers timeout with what the console showed', async () => {
    // A stand-in that prints like a hung guest, leaves a child of its own, and never ends.
    const hang = path.join(dir, 'hang.sh');
    const childPidFile = path.join(dir, 'child.pid');
    await writeFile(
      hang,
      `#!/bin/sh\nsleep 1000 &\necho $! > ${childPidFile}\necho 'Probing EDD (edd=off to disable)... ok'\nexec sleep 1000\n`,
      { mode: 0o755 },
    );
    let pid = 0;
    const outcome = await runBoot(
      { qemu: hang, args: [], marker: 'MARK', timeoutMs: 1500 },
      { onStart: (p) => (pid = p) },
    );
    expect(outcome).toMatchObject({
      kind: 'timeout',
      console: 'Probing EDD (edd=off to disable)... ok\n',
    });
    const child = Number((await readFile(childPidFile, 'utf8')).trim());
    expect(child).toBeGreaterThan(0);
    expect(running(pid)).toBe(false);
    expect(running(child)).toBe(false);
    expect(runningInGroup(pid)).toEqual([]);
  });

  it('answers marker as soon as it appears, split across writes, and kills the rest', async () => {
    const slow = path.join(dir, 'slow.sh');
    await writeFile(
      slow,
      `#!/bin/sh\nprintf 'boot\\nkcloud-pro'\nsleep 0.2\nprintf 'be: init reached\\n'\nexec sleep 1000\n`,
      { mode: 0o755 },
    );
    let pid = 0;
    const outcome = await runBoot(
      { qemu: slow, args: [], marker: 'kcloud-probe: init reached', timeoutMs: 60_000 },
      { onStart: (p) => (pid = p) },
    );
    expect(outcome.kind).toBe('marker');
    expect(runningInGroup(pid)).toEqual([]);
  });

  it('answers exited with QEMU own words when it stops before the marker', async () => {
    const refuse = path.join(dir, 'refuse.sh');
    await writeFile(
      refuse,
      `#!/bin/sh\necho 'failed to initialize kvm: Permission denied' >&2\nexit 1\n`,
      { mode: 0o755 },
    );
    await expect(
      runBoot({ qemu: refuse, args: [], marker: 'MARK', timeoutMs: 60_000 }),
    ).resolves.toEqual({
      kind: 'exited',
      code: 1,
      signal: null,
      stderr: 'failed to initialize kvm: Permission denied\n',
      console: '',
    });
  });

  it('answers spawn-error when the program does not exist', async () => {
    const outcome = await runBoot({
      qemu: path.join(dir, 'none'),
      args: [],
      marker: 'MARK',
      timeoutMs: 60_000,
    });
    expect(outcome).toMatchObject({
      kind: 'spawn-error',
      message: expect.stringContaining('ENOENT') as unknown as string,
    });
  });
});

describe('a probe whose process is killed outright', () => {
  it('takes its QEMU with it', async () => {
    // A stand-in QEMU that hangs, started by a probing process that is then SIGKILLed: no exit
    // handler runs, so only the kernel's parent-death signal can end the stand-in.
    const hang = path.join(dir, 'hang-alone.sh');
    await writeFile(hang, `#!/bin/sh\necho 'Booting from ROM...'\nexec sleep 1000\n`, {
      mode: 0o755,
    });
    const boot = path.join(repoRoot, 'agent/host/hypervisor/boot.ts');
    const script = [
      `import { runBoot } from ${JSON.stringify(boot)};`,
      `void runBoot({ qemu: ${JSON.stringify(hang)}, args: [], marker: 'MARK', timeoutMs: 600000 }, { onStart: (pid) => console.log(pid) });`,
    ].join('\n');
    const prober = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(prober.stdout, 'data')) as [Buffer];
    const pid = Number(line.toString().trim());
    try {
      expect(running(pid)).toBe(true);
      prober.kill('SIGKILL');
      await once(prober, 'exit');
      await waitFor(() => !running(pid), 10_000);
      expect(running(pid)).toBe(false);
    } finally {
      // Should the test fail, it leaves nothing behind either.
      if (running(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
