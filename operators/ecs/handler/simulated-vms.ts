// VMs of simulated hosts: the instance is as its spec says at once, and nothing runs. A
// control-plane benchmark device for thousands of hosts on one machine, like EVS's simulated
// pools.
import type { ExternalClient } from '../../../controllers/external/index.ts';
import type { InstanceObject } from '../api/index.ts';
import type { VmObserved } from './vm-client.ts';
import { desiredPower } from './vm-spec.ts';

const states = { Running: 'running', Paused: 'paused', Stopped: 'exited' } as const;

export function simulatedVmClient(): ExternalClient<InstanceObject, VmObserved> {
  return {
    observe(i) {
      if (i.metadata.deletionTimestamp) return Promise.resolve({ exists: false, upToDate: true });
      return Promise.resolve({
        exists: true,
        upToDate: true,
        observed: { state: states[desiredPower(i)] },
      });
    },
    create: () => Promise.resolve(),
    update: () => Promise.resolve(),
    delete: () => Promise.resolve(),
  };
}
