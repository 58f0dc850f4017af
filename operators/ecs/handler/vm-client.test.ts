import { describe, expect, it } from '@jest/globals';
import type { InstanceObject } from '../api/index.ts';
import { restartRefusal } from './vm-client.ts';
import { startInputs } from './vm-host.ts';

const instance = (runStrategy?: 'Always' | 'RerunOnFailure' | 'Manual'): InstanceObject =>
  ({
    metadata: { name: 'vm', namespace: 'ns', uid: '6a0e1d2c-0000-4000-8000-000000000001' },
    spec: { imageRef: { name: 'img' }, ...(runStrategy ? { runStrategy } : {}) },
  }) as InstanceObject;

describe('restartRefusal', () => {
  it('starts a VM that never ran here, or was stopped on request, whatever the strategy', () => {
    expect(restartRefusal(instance('Manual'), 'absent', {})).toBeUndefined();
    expect(
      restartRefusal(instance('Manual'), 'exited', { stoppedOnRequest: true }),
    ).toBeUndefined();
  });

  it('Always starts it again after a power-off or a crash', () => {
    expect(restartRefusal(instance(), 'shutdown', {})).toBeUndefined();
    expect(restartRefusal(instance('Always'), 'exited', {})).toBeUndefined();
  });

  it('RerunOnFailure starts it again after a crash only', () => {
    expect(restartRefusal(instance('RerunOnFailure'), 'exited', {})).toBeUndefined();
    const e = restartRefusal(instance('RerunOnFailure'), 'shutdown', {});
    expect(e?.reason).toBe('GuestPoweredOff');
    expect(e?.retry).toBe(false);
  });

  it('Manual never does, and says how to start it', () => {
    const e = restartRefusal(instance('Manual'), 'exited', {});
    expect(e?.reason).toBe('VmExited');
    expect(e?.message).toMatch(/powerState Stopped, then Running/);
  });
});

describe('startInputs', () => {
  const ready = {
    accel: 'tcg' as const,
    boot: 'vm-boot',
    disks: [],
    waitingDisks: [],
    nics: [],
    pendingNics: [],
  };
  it('waits for the probe, the volumes, then the network, saying which', () => {
    const { accel: _a, ...noAccel } = ready;
    expect(startInputs(noAccel)).toMatchObject({ ready: false, reason: 'WaitingForHypervisor' });
    expect(startInputs({ ...ready, waitingDisks: ['data'] })).toMatchObject({
      ready: false,
      reason: 'WaitingForVolumes',
      message: expect.stringContaining('data') as unknown as string,
    });
    expect(startInputs({ ...ready, pendingNics: ['eth1'] })).toMatchObject({
      ready: false,
      reason: 'WaitingForNetwork',
    });
    expect(startInputs(ready)).toMatchObject({ ready: true, accel: 'tcg' });
  });
});
