// The manager's side of an InstanceOperation, as the shared reconcile's external client: its
// "backend" is the binding to the host of its Instance (the label that hands it to that host's
// agent); for reset-password, the copy of the password the agent reads there; for rebuild, the
// VolumeOperation that re-makes the boot volume (rebuild-client.ts).
import {
  ReconcileError,
  type ExternalClient,
  type Observation,
} from '../../../../controllers/external/index.ts';
import {
  bindingClient,
  hostLabel,
  waitRequeueMs,
  type Bound,
  type Decision,
} from '../../../../controllers/host/index.ts';
import { isApiError, isNotFound, type ObjectClient } from '../../../../controllers/kube/index.ts';
import {
  operationEnded,
  resetPasswordSecretName,
  type InstanceOperationObject,
} from '../../api/index.ts';
import type { OperationPlacement } from './operation-decision.ts';
import { passwordCopy, readPassword, type SecretObject } from './password-copy.ts';
import { withRebuild, type RebuildWorld } from './rebuild-client.ts';
import type { VolumeOperationObject } from '../../../evs/api/index.ts';

export interface OperationClientOptions {
  operations: ObjectClient<InstanceOperationObject>;
  secrets: ObjectClient<SecretObject>;
  /** Where the password copies go: the namespace whose Secrets agents may read. */
  hostsNamespace: string;
  decide: (op: InstanceOperationObject) => Decision<OperationPlacement>;
  hostReady: (host: string) => boolean;
  /** The manager's finalizer: only a reset-password has something (the copy) to clean up. */
  finalizer: string;
  /** A rebuild re-makes the boot volume through EVS: the caches and where to write. */
  rebuild?: { world: RebuildWorld; volumeOperations: ObjectClient<VolumeOperationObject> };
}

type OperationObservation = Observation<Bound<OperationPlacement>>;

export function operationClient(
  op: InstanceOperationObject,
  opts: OperationClientOptions,
): ExternalClient<InstanceOperationObject, Bound<OperationPlacement>> {
  const withPassword = op.spec.action === 'reset-password';
  const bound = bindingClient(
    opts.operations,
    opts.decide,
    opts.hostReady,
    withPassword ? [opts.finalizer] : [],
  );
  // A host out of reach holds no data of an operation: say what that means for it.
  const binding: typeof bound = {
    ...bound,
    observe: async (obj, signal) => {
      const seen = await bound.observe(obj, signal);
      if (!seen.unreachable || !seen.observed) return seen;
      const host = seen.observed.host;
      return {
        ...seen,
        unreachable: {
          ...seen.unreachable,
          message: operationEnded(obj)
            ? `host ${host} lost its heartbeat; the operation had ended there`
            : `host ${host} lost its heartbeat: the operation runs when its agent is back, unless its instance moves elsewhere first`,
        },
      };
    },
  };
  if (op.spec.action === 'rebuild' && opts.rebuild) {
    return withRebuild(binding, opts.rebuild.world, opts.rebuild.volumeOperations);
  }
  if (!withPassword) return binding;

  // What this reconcile learnt or did, for its second look.
  let copied = false;
  let removed = false;
  let refused: unknown;
  let bindingDone = true;
  let toCopy: { host: string; data: string } | undefined;
  const copyName = () => resetPasswordSecretName(op.metadata.uid ?? '');

  const removeCopy = async (signal: AbortSignal) => {
    try {
      await opts.secrets.delete(opts.hostsNamespace, copyName(), { signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    removed = true;
  };

  return {
    async observe(obj, signal): Promise<OperationObservation> {
      // Deleted: the copy goes before the finalizer.
      if (obj.metadata.deletionTimestamp) return { exists: !removed, upToDate: false };
      let seen: OperationObservation;
      try {
        seen = await binding.observe(obj, signal);
      } catch (err) {
        // It will not run: the copy goes, then the refusal is reported.
        if (!(err instanceof ReconcileError) || removed) throw err;
        refused = err;
        return { exists: true, upToDate: false };
      }
      if (seen.inProgress || !seen.observed) return seen;
      bindingDone = seen.exists && seen.upToDate;
      if (operationEnded(obj)) {
        return removed ? seen : { ...seen, upToDate: false };
      }
      if (copied) return seen;
      const host = seen.observed.host;
      try {
        const copy = await opts.secrets.get(opts.hostsNamespace, copyName(), signal);
        if (copy.metadata.labels?.[hostLabel] === host) {
          copied = true;
          return seen;
        }
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const read = await readPassword(opts.secrets, obj, signal);
      if ('wait' in read) {
        return { ...seen, inProgress: { ...read.wait, requeueAfterMs: waitRequeueMs } };
      }
      toCopy = { host, data: read.data };
      return { ...seen, upToDate: false };
    },
    create: (obj, signal) => write(obj, signal),
    update: (obj, _observation, signal) => write(obj, signal),
    delete: async (_obj, signal) => {
      await removeCopy(signal);
    },
  };

  async function write(obj: InstanceOperationObject, signal: AbortSignal): Promise<void> {
    if (refused !== undefined || operationEnded(obj)) {
      await removeCopy(signal);
      if (refused !== undefined) return;
    } else if (toCopy) {
      // The copy first: the agent reads it as soon as the binding hands it the operation.
      const copy = passwordCopy(obj, toCopy.host, toCopy.data, opts.hostsNamespace);
      try {
        await opts.secrets.create(copy, signal);
      } catch (err) {
        // A copy for another host (an earlier binding that did not happen) is replaced.
        if (!isApiError(err, 409)) throw err;
        await removeCopy(signal);
        await opts.secrets.create(copy, signal);
      }
      copied = true;
      toCopy = undefined;
    }
    if (!bindingDone) await binding.update(obj, { exists: true, upToDate: false }, signal);
    bindingDone = true;
  }
}
