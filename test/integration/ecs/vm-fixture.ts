// What the VM tests share: a command run in a guest through its QEMU guest agent, and the
// VMs a failed test left behind killed by their pid (QEMU outlives the agent by design).
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  GuestAgentClient,
  type ExecResult,
} from '../../../operators/ecs/backend/guest-agent/index.ts';
import { findVmProcess, runPaths } from '../../../operators/ecs/backend/qemu/index.ts';

/** Runs `argv` in the guest of VM `uid` whose run directory is under `stateDir`. */
export async function guestExec(
  stateDir: string,
  uid: string,
  argv: string[],
  timeoutMs = 60_000,
): Promise<ExecResult> {
  const qga = await GuestAgentClient.connect(runPaths(stateDir, uid).qga, { timeoutMs: 10_000 });
  try {
    const [file = '', ...args] = argv;
    return await qga.exec(file, args, { timeoutMs });
  } finally {
    qga.close();
  }
}

/**
 * Waits until the guest agent of VM `uid` stops answering a ping (within `answerMs` each): a
 * test that has it killed in the guest must not go on while it still answers.
 */
export async function waitGuestAgentGone(
  stateDir: string,
  uid: string,
  { answerMs = 3_000, timeoutMs = 60_000 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const qga = await GuestAgentClient.connect(runPaths(stateDir, uid).qga, {
      timeoutMs: answerMs,
    });
    try {
      await qga.ping();
    } catch {
      return;
    } finally {
      qga.close();
    }
    if (Date.now() > deadline) {
      throw new Error(`the guest agent of VM ${uid} still answered after ${String(timeoutMs)} ms`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Kills, by pid, every QEMU still running for a run directory under these state dirs. */
export async function killLeftVms(stateDirs: readonly string[]): Promise<void> {
  for (const dir of stateDirs) {
    const vms = path.join(dir, 'vms');
    if (!existsSync(vms)) continue;
    for (const uid of await readdir(vms)) {
      const pid = await findVmProcess(runPaths(dir, uid).pidFile, uid);
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
    }
  }
}
