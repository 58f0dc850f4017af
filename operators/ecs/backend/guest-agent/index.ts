// Reaching into a guest without a network: the QEMU guest agent over the VM's virtio-serial
// channel (org.qemu.guest_agent.0, qga.sock in the VM's run directory).
export {
  GuestAgentClient,
  GuestAgentError,
  type ExecOptions,
  type ExecResult,
  type GuestAgentOptions,
} from './guest-agent-client.ts';
