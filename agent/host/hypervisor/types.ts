// What a hypervisor probe answers and what it needs. The answer is `kvm` only when a probe guest
// booted under KVM reached its init: the device file alone proves nothing (a nested paravirtual
// KVM such as kvm_pvm accepts the accelerator and then hangs stock guest kernels).

export type Hypervisor = 'kvm' | 'tcg';

export interface HypervisorDecision {
  hypervisor: Hypervisor;
  /** Why, in words an operator can act on (shown on the Host and in the agent's log). */
  reason: string;
}

/**
 * The probe guest: a stock kernel and an initramfs whose init prints `marker` on the serial
 * console and powers off. `hack/guest.sh build` makes one and describes it in probe-guest.json.
 */
export interface ProbeGuest {
  kernel: string;
  initrd: string;
  marker: string;
  /** The kernel's version (e.g. the Debian package's): part of the cache key. */
  kernelVersion: string;
}

export interface ProbeHypervisorOptions {
  /** The probe guest, or the directory holding its probe-guest.json. */
  guest: ProbeGuest | string;
  /** Where the decision is cached (hypervisor-probe.json) with the last boot's console log;
   * left out, nothing is cached and every call boots. */
  stateDir?: string;
  /** The KVM device; /dev/kvm unless told. */
  kvmDevice?: string;
  /** The QEMU binary: a path, or a name looked up on PATH; qemu-system-x86_64 unless told. */
  qemu?: string;
  /** How long the guest may take to print the marker under KVM. */
  timeoutMs?: number;
  /** Ignore a cached decision and boot again (the new decision is cached). */
  refresh?: boolean;
  /** Starts the boot; tests give a fake. */
  runner?: BootRunner;
}

/** How one probe boot ended. */
export type BootOutcome =
  /** The marker appeared on the console. */
  | { kind: 'marker'; elapsedMs: number; console: string }
  /** The marker did not appear in time; the process group was killed. */
  | { kind: 'timeout'; elapsedMs: number; console: string }
  /** QEMU exited before printing the marker (refused the accelerator, or the guest stopped). */
  | { kind: 'exited'; code: number | null; signal: string | null; stderr: string; console: string }
  /** QEMU could not be started at all. */
  | { kind: 'spawn-error'; message: string };

export interface BootRequest {
  qemu: string;
  args: string[];
  marker: string;
  timeoutMs: number;
}

export type BootRunner = (req: BootRequest) => Promise<BootOutcome>;
