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
