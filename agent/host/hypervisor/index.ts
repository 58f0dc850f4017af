// Whether this host runs guests under KVM or TCG, decided by a short probe boot and cached in
// the agent's state dir until something that could change the answer changes.
export { probeHypervisor, defaultProbeTimeoutMs } from './probe.ts';
export { parseHypervisorMode, resolveHypervisor, type HypervisorMode } from './mode.ts';
export { readProbeGuest, probeGuestManifest } from './guest.ts';
export { runBoot, type RunBootOptions } from './boot.ts';
export { probeQemuArgs, type Accelerator } from './qemu-args.ts';
export { lastConsoleLine } from './decide.ts';
export { cacheFile, consoleLogFile } from './cache.ts';
export type {
  BootOutcome,
  BootRequest,
  BootRunner,
  Hypervisor,
  HypervisorDecision,
  ProbeGuest,
  ProbeHypervisorOptions,
} from './types.ts';
