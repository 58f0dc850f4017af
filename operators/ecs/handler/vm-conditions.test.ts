import { describe, expect, it } from '@jest/globals';
import { vmConditions } from './vm-conditions.ts';

const size = (vcpus: number, memoryMiB: number, waits = ['memory is not plugged']) => ({
  vcpus,
  memoryMiB,
  wantedVcpus: 2,
  wantedMemoryMiB: 512,
  waits,
});
const read = (o: Parameters<typeof vmConditions>[0]) =>
  vmConditions(o).map((c) => `${c.type}=${c.status} ${c.reason}`);

describe('vmConditions', () => {
  it('says whether the guest agent answers, only of a running guest', () => {
    expect(
      read({ state: 'running', guest: { connected: true, onlineVcpus: 2, offlineVcpus: [] } }),
    ).toContain('GuestAgentConnected=True Connected');
    const silent = vmConditions({
      state: 'running',
      guest: { connected: false, message: 'timed out' },
    });
    expect(silent[0]).toMatchObject({ status: 'False', reason: 'NotConnected' });
    expect(silent[0]?.message).toContain('timed out');
    expect(read({ state: 'paused' })).toContain('GuestAgentConnected=False VmPaused');
    expect(read({ state: 'absent' })).toContain('GuestAgentConnected=False VmNotRunning');
  });

  it('requires a restart while the running VM has another size than allocated that waits, saying why', () => {
    const grown = vmConditions({ state: 'running', size: size(2, 256) });
    expect(grown[1]).toMatchObject({
      type: 'RestartRequired',
      status: 'True',
      reason: 'ResizePending',
    });
    expect(grown[1]?.message).toBe(
      'the VM runs with 2 vCPUs and 256 MiB; 2 vCPUs and 512 MiB (status.allocated) take effect at its next start (memory is not plugged): set powerState Stopped, then Running',
    );
    expect(read({ state: 'paused', size: size(3, 512) })).toContain(
      'RestartRequired=True ResizePending',
    );
    expect(read({ state: 'running', size: size(2, 512) })).toContain(
      'RestartRequired=False SizeApplied',
    );
    expect(read({ state: 'shutdown', size: size(1, 256) })).toContain(
      'RestartRequired=False VmNotRunning',
    );
  });

  it('requires none while the difference is being plugged into the running VM', () => {
    const plugging = vmConditions({ state: 'running', size: size(1, 384, []) });
    expect(plugging[1]).toMatchObject({
      type: 'RestartRequired',
      status: 'False',
      reason: 'Resizing',
      message:
        'the VM runs with 1 vCPU and 384 MiB; 2 vCPUs and 512 MiB (status.allocated) are being plugged into it',
    });
  });

  it('reports nothing when nothing was observed', () => {
    expect(vmConditions(undefined)).toEqual([]);
  });
});
