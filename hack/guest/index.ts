// Guests built from Debian packages for development and tests: the probe guest that decides
// whether a host's KVM is usable (agent/host/hypervisor), and the demo guest ECS instances boot.
export {
  buildProbeGuest,
  probeInitramfsFile,
  type BuildResult,
  type ProbeGuestManifest,
} from './build.ts';
export { guestDir } from './layout.ts';
export { probeMarker } from './probe-initramfs.ts';
export {
  buildDemoGuest,
  demoGuestImage,
  demoGuestManifest,
  readDemoGuest,
  type DemoBuildResult,
  type DemoGuest,
  type DemoGuestManifest,
} from './demo-build.ts';
