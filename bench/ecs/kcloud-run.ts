// kcloud's side: Instances applied, each timed from its apply to the first echo reply from its
// guest, seen from the probe namespace in the same Subnet; then deleted, and gone (VM stopped,
// tap, seed and run directory removed by the agent) before the next wave starts.
import type { Clock } from '../../controllers/clock/index.ts';
import { ObjectClient, type ApiClient } from '../../controllers/kube/index.ts';
import type { Guest } from '../../hack/ovn/index.ts';
import { Instance, type InstanceObject } from '../../operators/ecs/index.ts';
import { firstReply } from './first-reply.ts';
import type { InstanceSteps, Milestones } from './milestones.ts';
import type { VmRun } from './ovn-events.ts';
import { flavorName, namespace, securityGroupName, subnetName } from './world.ts';

export interface KcloudSample extends VmRun {
  name: string;
  /** Apply → first echo reply. */
  totalMs: number;
  steps: InstanceSteps;
}

export interface KcloudEnv {
  api: ApiClient;
  milestones: Milestones;
  probe: Guest;
  clock: Clock;
  timeoutMs: number;
  keepNeighbour: boolean;
}

const instanceResource = { ...Instance.resource, kind: Instance.kind };

function instance(name: string): InstanceObject {
  return {
    apiVersion: Instance.apiVersion,
    kind: Instance.kind,
    metadata: { name, namespace },
    spec: {
      flavorRef: { name: flavorName },
      imageRef: { name: 'demo' },
      networkInterfaces: [
        {
          name: 'eth0',
          primary: true,
          subnetRef: { name: subnetName },
          securityGroupRefs: [{ name: securityGroupName }],
        },
      ],
    },
  };
}

/** Applies the Instance `name` and resolves once its guest answered ping. */
export async function bootInstance(env: KcloudEnv, name: string): Promise<KcloudSample> {
  const client = new ObjectClient<InstanceObject>(env.api, instanceResource);
  const applied = env.clock.now();
  env.milestones.applied(name, applied);
  await client.patch(namespace, name, 'apply', instance(name), {
    fieldManager: 'kcloud-bench',
    force: true,
  });
  const ip = await env.milestones.address(name, env.timeoutMs);
  const reply = await firstReply(env.probe, ip, {
    clock: env.clock,
    timeoutMs: env.timeoutMs - (env.clock.now() - applied),
    keepNeighbour: env.keepNeighbour,
  });
  return {
    name,
    mac: env.milestones.mac(name),
    startedAt: applied,
    totalMs: reply - applied,
    steps: env.milestones.steps(name),
  };
}

/** Deletes the Instances and waits until they are gone (the agent's finalizer is the VM's). */
export async function deleteInstances(env: KcloudEnv, names: string[]): Promise<void> {
  const client = new ObjectClient<InstanceObject>(env.api, instanceResource);
  await Promise.all(
    names.map(async (name) => {
      await client.delete(namespace, name).catch(() => undefined);
      await env.milestones.gone(name, 180_000);
    }),
  );
}
