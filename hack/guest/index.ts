// Guests built from Debian packages for development and tests; today the probe guest that
// decides whether a host's KVM is usable (agent/host/hypervisor).
export {
  buildProbeGuest,
  probeInitramfsFile,
  type BuildResult,
  type ProbeGuestManifest,
} from './build.ts';
export { guestDir } from './layout.ts';
export { probeMarker } from './probe-initramfs.ts';
