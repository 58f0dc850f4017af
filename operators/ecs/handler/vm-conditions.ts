// The agent's conditions on an Instance beside Provisioned, from what it observed of the VM:
// whether the guest agent answers, and whether the VM runs with another size than it was
// allocated that waits for its next start (a difference being plugged live does not).
import type { ConditionUpdate } from '../../../controllers/reconcile/index.ts';
import { guestAgentConnectedCondition, restartRequiredCondition } from '../api/index.ts';
import type { VmObserved } from './vm-client.ts';

const sizeText = (vcpus: number, memoryMiB: number) =>
  `${String(vcpus)} vCPU${vcpus === 1 ? '' : 's'} and ${String(memoryMiB)} MiB`;

export function vmConditions(o: VmObserved | undefined): ConditionUpdate[] {
  if (!o) return [];
  const running = o.state === 'running' || o.state === 'paused';
  const guest: ConditionUpdate = !running
    ? {
        type: guestAgentConnectedCondition,
        status: 'False',
        reason: 'VmNotRunning',
        message: 'the VM is not running',
      }
    : o.state === 'paused'
      ? {
          type: guestAgentConnectedCondition,
          status: 'False',
          reason: 'VmPaused',
          message: 'the VM is paused: its guest agent cannot answer',
        }
      : o.guest?.connected
        ? {
            type: guestAgentConnectedCondition,
            status: 'True',
            reason: 'Connected',
            message: 'the guest agent answers',
          }
        : {
            type: guestAgentConnectedCondition,
            status: 'False',
            reason: 'NotConnected',
            message: `the guest agent does not answer (is qemu-guest-agent running in the guest?)${o.guest ? `: ${o.guest.message}` : ''}`,
          };
  const s = o.size;
  const differs =
    running && s !== undefined && (s.vcpus !== s.wantedVcpus || s.memoryMiB !== s.wantedMemoryMiB)
      ? s
      : undefined;
  const restart: ConditionUpdate =
    differs !== undefined && differs.waits.length > 0
      ? {
          type: restartRequiredCondition,
          status: 'True',
          reason: 'ResizePending',
          message: `the VM runs with ${sizeText(differs.vcpus, differs.memoryMiB)}; ${sizeText(differs.wantedVcpus, differs.wantedMemoryMiB)} (status.allocated) take effect at its next start (${differs.waits.join('; ')}): set powerState Stopped, then Running`,
        }
      : differs !== undefined
        ? {
            type: restartRequiredCondition,
            status: 'False',
            reason: 'Resizing',
            message: `the VM runs with ${sizeText(differs.vcpus, differs.memoryMiB)}; ${sizeText(differs.wantedVcpus, differs.wantedMemoryMiB)} (status.allocated) are being plugged into it`,
          }
        : {
            type: restartRequiredCondition,
            status: 'False',
            reason: running ? 'SizeApplied' : 'VmNotRunning',
            message: running
              ? 'the VM runs with the size it was allocated'
              : 'the VM starts with the size it is allocated',
          };
  return [guest, restart];
}
