// A VM's QEMU process as the host sees it: its pid file, whether that pid is still our QEMU
// (a pid can be reused once QEMU is gone: its /proc/<pid>/cmdline must carry the VM's UUID),
// and stopping it by pid. A daemonized QEMU is not our child, so nothing here waits on it.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { VmError } from './errors.ts';

export async function readPidFile(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The process's arguments; undefined when it does not exist (or is a zombie). */
export async function processArgs(pid: number): Promise<string[] | undefined> {
  try {
    const stat = await readFile(`/proc/${String(pid)}/stat`, 'utf8');
    // "pid (comm) state …": comm may hold spaces and parentheses.
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined;
    const cmdline = await readFile(`/proc/${String(pid)}/cmdline`, 'utf8');
    return cmdline === '' ? undefined : cmdline.replace(/\0$/, '').split('\0');
  } catch {
    return undefined;
  }
}

/** Whether `pid` is a QEMU started for the VM `uuid`. */
export async function isVmProcess(pid: number, uuid: string): Promise<boolean> {
  const args = await processArgs(pid);
  if (args === undefined) return false;
  const at = args.indexOf('-uuid');
  return at >= 0 && args[at + 1] === uuid;
}

/** The running QEMU of the VM, from its pid file; undefined when there is none. */
export async function findVmProcess(pidFile: string, uuid: string): Promise<number | undefined> {
  const pid = await readPidFile(pidFile);
  return pid !== undefined && (await isVmProcess(pid, uuid)) ? pid : undefined;
}

/** Resolves true once the VM's QEMU is gone, false when `timeoutMs` passed first. */
export async function waitGone(pid: number, uuid: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await isVmProcess(pid, uuid))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGKILL, only if `pid` is still this VM's QEMU (never another process that took its pid). */
export async function killVmProcess(pid: number, uuid: string): Promise<void> {
  if (!(await isVmProcess(pid, uuid))) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * Runs QEMU with -daemonize: the command returns once QEMU is initialised (monitor listening,
 * pid file written) with status 0, or fails with QEMU's own words on stderr. The daemon is in
 * a session of its own, not our child, so it outlives the agent; a VM started now and one
 * re-adopted after an agent restart are watched the same way (pid file, /proc, QMP).
 */
export function launchDaemonized(qemu: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      qemu,
      args,
      { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024 },
      (err, _stdout, stderr) => {
        if (!err) {
          resolve();
          return;
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') {
          reject(
            new VmError(
              'QemuNotInstalled',
              `${qemu} is not installed on this host: install Debian's qemu-system-x86`,
              { cause: err },
            ),
          );
          return;
        }
        const said = stderr
          .split('\n')
          .map((l) => l.replace(/^[0-9T:.-]+Z? ?/, '').trim())
          .filter((l) => l !== '')
          .join('; ');
        const why = e.killed
          ? `did not finish starting within ${(timeoutMs / 1000).toFixed(0)} s`
          : `failed to start`;
        reject(
          new VmError('QemuFailed', `QEMU ${why}${said === '' ? '' : `: ${said}`}`, { cause: err }),
        );
      },
    );
  });
}
