// What instances may use on a host: its vCPUs times the overcommit ratio, its memory less what
// the host keeps for itself. Pure arithmetic, so the flags' corner cases are unit-tested.

export interface Resources {
  vcpu: number;
  memoryBytes: number;
  /** memoryBytes for people, e.g. 15.5Gi. */
  memory: string;
}

export interface HostResources {
  capacity: Resources;
  allocatable: Resources;
}

export interface CapacityOptions {
  /** vCPUs offered per host CPU (--cpu-overcommit). */
  cpuOvercommit: number;
  /** Memory kept for the host itself (--reserved-memory). */
  reservedMemoryBytes: number;
}

const binary = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;
const factors: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A byte quantity as Kubernetes writes one (`512Mi`, `1Gi`, `2G`, `1073741824`), in bytes. */
export function parseBytes(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(value.trim());
  const factor = factors[m?.[2] ?? ''];
  if (!m || factor === undefined) {
    throw new Error(`${flag} must be a byte quantity like 512Mi, 1Gi or 2G, not "${value}"`);
  }
  const bytes = Math.round(Number(m[1]) * factor);
  if (!Number.isSafeInteger(bytes)) throw new Error(`${flag}: ${value} is too large`);
  return bytes;
}

/** A positive ratio like 4 or 1.5 (--cpu-overcommit). */
export function parseRatio(flag: string, value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!(n > 0) || n > 64) {
    throw new Error(
      `${flag} must be a number above 0 and at most 64, such as 4 or 1.5, not "${value}"`,
    );
  }
  return n;
}

/** Bytes in the largest binary unit that keeps a whole number before the point: 15.5Gi. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < binary.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = unit === 0 ? String(value) : String(Math.floor(value * 10) / 10);
  return `${shown}${binary[unit] ?? ''}`;
}

function resources(vcpu: number, memoryBytes: number): Resources {
  return { vcpu, memoryBytes, memory: formatBytes(memoryBytes) };
}

/**
 * Capacity and allocatable of a machine with `cpus` CPUs and `memoryBytes` of memory. The
 * allocatable vCPUs are rounded down (never promise a fraction of a CPU); memory reserved
 * beyond what the machine has leaves none allocatable (the agent then reports the problem).
 */
export function hostResources(
  machine: { cpus: number; memoryBytes: number },
  opts: CapacityOptions,
): HostResources {
  const vcpu = Math.floor(machine.cpus * opts.cpuOvercommit + 1e-9);
  return {
    capacity: resources(machine.cpus, machine.memoryBytes),
    allocatable: resources(vcpu, Math.max(0, machine.memoryBytes - opts.reservedMemoryBytes)),
  };
}
