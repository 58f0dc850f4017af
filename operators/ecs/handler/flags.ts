// The ECS host module's flags on kcloud-agent.
import path from 'node:path';
import { parseDuration } from '../../../controllers/index.ts';
import { stringFlag, type FlagSpecs, type FlagValues } from '../../../controllers/manager/index.ts';
import { maxMemoryMiB } from '../backend/qemu/index.ts';

export const ecsAgentFlags = {
  qemu: {
    type: 'string',
    default: 'qemu-system-x86_64',
    description: 'the QEMU binary VMs run with',
  },
  'ovs-db': {
    type: 'string',
    default: '',
    description:
      'the Open vSwitch database ovs-vsctl talks to (unix:/run/openvswitch/db.sock when empty)',
  },
  'ovs-bridge': {
    type: 'string',
    default: 'br-int',
    description: 'the integration bridge ovn-controller manages, where VM taps are plugged',
  },
  'vm-netns': {
    type: 'string',
    default: '',
    description:
      "the network namespace of the integration bridge's devices (a path such as /var/run/netns/ovs), into which each VM's taps are moved once its QEMU, which runs in the agent's namespace, holds them; the agent's own when empty",
  },
  'vm-launcher': {
    type: 'string',
    default: '',
    description:
      "a command QEMU is started through, its words separated by spaces (such as 'nsenter --target=1 --cgroup --mount --' so that VMs live outside the agent's container); {uid} stands for the instance's UID",
  },
  'vm-stop-timeout': {
    type: 'string',
    default: '60s',
    description:
      'how long a guest has to power off after the ACPI request before it is stopped by force',
  },
  'vm-cgroup-fs': {
    type: 'string',
    default: '/sys/fs/cgroup',
    description:
      'where the cgroup filesystem is mounted: a Flavor’s cpuQuotaPercent is set on each VM’s cgroup there',
  },
  'vm-cgroup-parent': {
    type: 'string',
    default: 'kcloud-vms',
    description:
      'the cgroup, below the CPU hierarchy’s root, under which VMs started in the agent’s own cgroup get one each for their CPU quota',
  },
  'vm-max-vcpus': {
    type: 'string',
    default: '8',
    description:
      'how many vCPUs a VM can grow to while it runs (CPU hot-plug after a resize); beyond, a resize waits for its next start',
  },
  'vm-max-memory': {
    type: 'string',
    default: '64Gi',
    description:
      'how much memory a VM can grow to while it runs (memory hot-plug after a resize, in 128Mi blocks), such as 64Gi; beyond, a resize waits for its next start. 0: none',
  },
  'vm-memory-room-from': {
    type: 'string',
    default: '3Gi',
    description:
      'the least memory a VM must have to start with room for memory hot-plug (--vm-max-memory): a Linux guest of less than 2816Mi sets aside 64Mi for DMA bounce buffers once memory may be plugged above 4Gi, which a smaller VM would lose without asking; 0: every VM',
  },
} satisfies FlagSpecs;

export interface EcsAgentConfig {
  qemu: string;
  ovsDb: string;
  ovsBridge: string;
  vmNetns: string;
  /** Words QEMU is started through; `{uid}` is replaced by the instance's UID. */
  vmLauncher: string[];
  stopTimeoutMs: number;
  /** vCPUs a VM can be given while it runs (QEMU's maxcpus), at least its own. */
  maxVcpus: number;
  /** Memory a VM can be given while it runs (QEMU's maxmem), in MiB; 0: none. */
  maxMemoryMiB: number;
  /** VMs with less memory than this (MiB) start without room to grow. */
  memoryRoomFromMiB: number;
  cgroupFs: string;
  cgroupParent: string;
}

const units: Record<string, number> = { Mi: 1, Gi: 1024, Ti: 1024 * 1024 };

/** `0`, or whole Mi, Gi or Ti, in MiB (at most what a VM may have); undefined for anything else. */
export function memoryMiB(text: string): number | undefined {
  if (text === '0') return 0;
  const m = /^([1-9][0-9]{0,6})(Mi|Gi|Ti)$/.exec(text);
  const n = m ? Number(m[1]) * (units[m[2] ?? ''] ?? 0) : NaN;
  return n > 0 && n <= maxMemoryMiB ? n : undefined;
}

export function configureEcsAgent(values: FlagValues): EcsAgentConfig {
  const vmNetns = stringFlag(values, 'vm-netns');
  if (vmNetns !== '' && !path.isAbsolute(vmNetns)) {
    throw new Error(`--vm-netns: ${vmNetns} is not an absolute path`);
  }
  const ovsBridge = stringFlag(values, 'ovs-bridge');
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(ovsBridge)) {
    throw new Error(`--ovs-bridge: ${ovsBridge} is not a bridge name`);
  }
  const maxVcpus = Number(stringFlag(values, 'vm-max-vcpus'));
  if (!Number.isInteger(maxVcpus) || maxVcpus < 1 || maxVcpus > 255) {
    throw new Error(`--vm-max-vcpus: ${stringFlag(values, 'vm-max-vcpus')} is not 1-255`);
  }
  const maxMemory = stringFlag(values, 'vm-max-memory');
  const maxMemoryMiB = memoryMiB(maxMemory);
  if (maxMemoryMiB === undefined) {
    throw new Error(`--vm-max-memory: ${maxMemory} is not 0 or a size such as 4096Mi or 64Gi`);
  }
  const roomFrom = stringFlag(values, 'vm-memory-room-from');
  const memoryRoomFromMiB = memoryMiB(roomFrom);
  if (memoryRoomFromMiB === undefined) {
    throw new Error(`--vm-memory-room-from: ${roomFrom} is not 0 or a size such as 3Gi`);
  }
  const cgroupParent = stringFlag(values, 'vm-cgroup-parent');
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/.test(cgroupParent)) {
    throw new Error(`--vm-cgroup-parent: ${cgroupParent} is not a cgroup path such as kcloud-vms`);
  }
  return {
    qemu: stringFlag(values, 'qemu'),
    maxVcpus,
    maxMemoryMiB,
    memoryRoomFromMiB,
    cgroupFs: stringFlag(values, 'vm-cgroup-fs'),
    cgroupParent,
    ovsDb: stringFlag(values, 'ovs-db'),
    ovsBridge,
    vmNetns,
    vmLauncher: stringFlag(values, 'vm-launcher').split(' ').filter(Boolean),
    stopTimeoutMs: parseDuration('--vm-stop-timeout', stringFlag(values, 'vm-stop-timeout')),
  };
}
