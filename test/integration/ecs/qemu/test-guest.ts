// What the QEMU runner's tests boot: the probe guest's kernel and busybox initramfs (hack/guest,
// built by make setup), told to print a ready line and then sleep as PID 1. Such a guest has no
// ACPI daemon, so it ignores the power button: the forced stop is tested with it.
import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { readProbeGuest, type ProbeGuest } from '../../../../agent/host/hypervisor/index.ts';
import { guestDir } from '../../../../hack/guest/index.ts';
import type { VmDefinition } from '../../../../operators/ecs/backend/qemu/index.ts';

export const readyLine = 'kcloud-runner-test: ready';
const execFileAsync = promisify(execFile);

/** The probe guest, or a setup error naming the command that builds it. */
export async function testGuest(): Promise<ProbeGuest> {
  const dir = guestDir();
  try {
    return await readProbeGuest(dir);
  } catch (err) {
    throw new Error(
      `setup: the probe guest is missing in ${dir}: build it with \`/work/bin/heavy hack/guest.sh build\` (or make setup): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Fails with a setup error unless QEMU and qemu-img are installed. */
export async function requireQemu(): Promise<void> {
  for (const tool of ['qemu-system-x86_64', 'qemu-img']) {
    try {
      await execFileAsync(tool, ['--version']);
    } catch (err) {
      throw new Error(
        `setup: ${tool} is not installed: install Debian's qemu-system-x86 and qemu-utils (make setup does)`,
        {
          cause: err,
        },
      );
    }
  }
}

export async function qcow2(file: string, size: string): Promise<string> {
  await execFileAsync('qemu-img', ['create', '-q', '-f', 'qcow2', file, size]);
  return file;
}

let next = 1;
/** A fresh lowercase UUID per VM of a run. */
export function testUuid(): string {
  const n = (Date.now() % 0xffffffff).toString(16).padStart(8, '0');
  return `${n}-0000-4000-8000-${String(process.pid).padStart(6, '0')}${String(next++).padStart(6, '0')}`;
}

export function testVm(guest: ProbeGuest, over: Partial<VmDefinition> = {}): VmDefinition {
  const uuid = over.uuid ?? testUuid();
  return {
    uuid,
    name: `kcloud-test_${uuid.slice(0, 8)}`,
    vcpus: 1,
    memoryMiB: 256,
    accel: 'tcg',
    disks: [],
    nics: [],
    kernelBoot: {
      kernel: guest.kernel,
      initrd: guest.initrd,
      // PID 1 prints the line, then sleeps: busybox's sh and sleep, called through busybox as
      // the initramfs has no applet links. The quotes keep the line itself out of the kernel
      // command line, which the kernel prints on the console too.
      append: `console=ttyS0 rdinit=/bin/busybox -- sh -c "/bin/busybox echo kcloud-runner-test': ready'; exec /bin/busybox sleep 2147483647"`,
    },
    ...over,
  };
}

/** Waits until the console log holds `line` (the guest's kernel is up and ran its init). */
export async function waitForConsole(
  logFile: string,
  line: string,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(logFile, 'utf8').catch(() => '');
    if (text.includes(line)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the guest did not print ${JSON.stringify(line)} within ${String(timeoutMs / 1000)} s; its console ends: ${text.slice(-600)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

export const childScript = path.join(import.meta.dirname, 'start-vm-child.ts');
