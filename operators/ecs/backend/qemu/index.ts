// Running VMs on this host with QEMU: the VM definition and its command line, the runner that
// starts and re-adopts VMs, the handle that stops, pauses, hot-plugs and resizes them, and the
// QMP client underneath.
export { VmRunner, type StartOptions, type VmRunnerOptions } from './runner.ts';
export {
  checkVncPassword,
  Vm,
  type StopOptions,
  type StopResult,
  type VmState,
  type VmStatus,
} from './vm.ts';
export {
  checkDefinition,
  checkDisk,
  checkNic,
  defaultHotplugPorts,
  maxMemoryMiB,
  maxPciePorts,
  parseMonitor,
  seedDiskId,
  type Accelerator,
  type DiskDefinition,
  type DiskSource,
  type DiskThrottle,
  type KernelBoot,
  type NicDefinition,
  type VmDefinition,
} from './vm-definition.ts';
export { guestAgentPort, optValue, qemuArgs, vncDisplays } from './qemu-args.ts';
export { diskNames, nicNames } from './devices.ts';
export { diskSourceFromTarget, type AttachTargetLike } from './attach-target.ts';
export { deleteDiskSnapshot, snapshotDisk } from './snapshots.ts';
export type { VmSize } from './size.ts';
export {
  dimmBlocks,
  memoryBlockMiB,
  memoryGrowth,
  memoryRoom,
  memorySlots,
  type Dimm,
  type MemoryGrowth,
} from './memory.ts';
export type { AttachedDisk, DetachOptions } from './hotplug.ts';
export { diskThrottleLimits, freeRootPorts } from './hotplug.ts';
export { runPaths, vmsDir, writeFileAtomic, type RunPaths } from './run-dir.ts';
export { findVmProcess, isVmProcess } from './qemu-process.ts';
export {
  QmpClient,
  QmpCommandError,
  QmpUnavailableError,
  type QmpConnectOptions,
  type QmpEvent,
  type QmpGreeting,
} from './qmp-client.ts';
export { LineBuffer, isRecord } from './json-lines.ts';
export { isVmError, VmError, type VmErrorReason } from './errors.ts';
