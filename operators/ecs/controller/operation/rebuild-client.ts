// The manager's part of a rebuild, around the binding: once the agent has stopped the VM
// (the operation's startTime), the VolumeOperation that re-makes the boot volume is created,
// and its progress is observed into status.rebuild until the agent ends the operation.
import type { ExternalClient, Observation } from '../../../../controllers/external/index.ts';
import type { Bound } from '../../../../controllers/host/index.ts';
import { isApiError, type ObjectClient } from '../../../../controllers/kube/index.ts';
import type { VolumeObject, VolumeOperationObject } from '../../../evs/api/index.ts';
import type { InstanceObject, InstanceOperationObject } from '../../api/index.ts';
import type { OperationPlacement } from './operation-decision.ts';
import {
  bootVolumeOf,
  rebuildImage,
  rebuildProgress,
  rebuildUnderway,
  rebuildVolumeOperationName,
  reimageOperation,
} from './rebuild.ts';

export interface RebuildWorld {
  instance(namespace: string, name: string): InstanceObject | undefined;
  volume(namespace: string, name: string): VolumeObject | undefined;
  volumeOperation(namespace: string, name: string): VolumeOperationObject | undefined;
}

type Client = ExternalClient<InstanceOperationObject, Bound<OperationPlacement>>;
type Seen = Observation<Bound<OperationPlacement>>;

export function withRebuild(
  binding: Client,
  world: RebuildWorld,
  volumeOperations: ObjectClient<VolumeOperationObject>,
): Client {
  let toCreate: VolumeOperationObject | undefined;
  let bindingDone = true;
  // Made by this reconcile: its second look does not find it in the cache yet.
  let created = false;

  /** The progress already recorded stays with the operation after it ended. */
  const keep = (obj: InstanceOperationObject, seen: Seen): Seen => {
    const recorded = obj.status?.rebuild;
    if (!recorded || !seen.observed) return seen;
    return {
      ...seen,
      observed: { ...seen.observed, status: { ...seen.observed.status, rebuild: recorded } },
    };
  };

  return {
    async observe(obj, signal) {
      toCreate = undefined;
      const seen = await binding.observe(obj, signal);
      if (obj.metadata.deletionTimestamp || seen.inProgress || seen.unreachable) return seen;
      if (!seen.observed) return seen;
      bindingDone = seen.exists && seen.upToDate;
      if (!bindingDone || !rebuildUnderway(obj)) return keep(obj, seen);
      const ns = obj.metadata.namespace ?? '';
      const instance = world.instance(ns, obj.spec.instanceRef.name);
      // Gone or another one: the binding's decision refuses the operation on its next look.
      if (!instance || instance.metadata.uid !== obj.status?.instanceUID) return keep(obj, seen);
      const volume = obj.status?.rebuild?.volume ?? bootVolumeOf(instance);
      const name = rebuildVolumeOperationName(obj);
      const volOp = world.volumeOperation(ns, name);
      // The image is chosen once: a later rebuild of the same volume must not change it.
      const image =
        obj.status?.rebuild?.image ?? rebuildImage(obj, instance, world.volume(ns, volume));
      const progress = rebuildProgress(volume, image, volOp, name);
      const observed = { ...seen.observed, status: { ...seen.observed.status, rebuild: progress } };
      if (volOp || created) return { ...seen, observed };
      toCreate = reimageOperation(obj, volume, image);
      return { ...seen, observed, upToDate: false };
    },
    create: (obj, signal) => write(obj, { exists: false, upToDate: false }, signal),
    update: (obj, observation, signal) => write(obj, observation, signal),
    delete: (obj, signal) => binding.delete(obj, signal),
  };

  async function write(
    obj: InstanceOperationObject,
    observation: Pick<Seen, 'exists' | 'upToDate'>,
    signal: AbortSignal,
  ): Promise<void> {
    if (!bindingDone) {
      await binding.update(obj, observation, signal);
      return;
    }
    if (!toCreate) return;
    try {
      await volumeOperations.create(toCreate, signal);
    } catch (err) {
      // Made by an earlier look the cache does not show yet.
      if (!isApiError(err, 409)) throw err;
    }
    created = true;
  }
}
