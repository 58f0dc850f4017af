// The agent's side of an InstanceOperation: run its action once on the VM. The agent keeps its
// own record of each operation it started, on disk, written before the action: the cache it
// reconciles from may not show the status it wrote a moment ago, and a reboot must not run
// twice for it, nor a failure be read as not run yet. An action cut short by an agent restart
// is not run again but ends as failed (a rebuild, which only waits here, waits on). The record
// goes when the operation is deleted.
import {
  ReconcileError,
  type ExternalClient,
  type Observation,
} from '../../../controllers/external/index.ts';
import {
  rebuildingReason,
  resetPasswordSecretKey,
  resetPasswordSecretName,
  type InstanceObject,
  type InstanceOperationObject,
  type operationFailureReasons,
} from '../api/index.ts';
import type { Vm } from '../backend/qemu/index.ts';
import type { GuestAgentClient } from '../backend/guest-agent/index.ts';

export interface OperationRecord {
  startTime?: string;
  completionTime?: string;
}

/** What the agent keeps of an operation it started. */
export interface RunRecord extends OperationRecord {
  failure?: { reason: string; message: string };
}

type FailureReason = (typeof operationFailureReasons)[number];

export interface OperationHost {
  /** The instance bound to this host, from its cache. */
  instance(namespace: string, name: string): InstanceObject | undefined;
  /** The VM's handle; undefined when it has none here. */
  vm(uid: string): Promise<Vm | undefined>;
  /**
   * Runs `fn` with the VM's guest agent, alone on its channel; rejects when the agent does not
   * answer (before `fn` runs).
   */
  withGuestAgent<T>(uid: string, fn: (qga: GuestAgentClient) => Promise<T>): Promise<T>;
  /** The password the manager copied for this operation (hosts namespace), or undefined. */
  password(operationUid: string, signal: AbortSignal): Promise<string | undefined>;
  /** The agent's own records of the operations it started, by operation uid (on disk). */
  records: {
    read(uid: string): Promise<RunRecord | undefined>;
    write(uid: string, r: RunRecord): Promise<void>;
    remove(uid: string): Promise<void>;
  };
  now(): number;
}

const stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export function operationRecord(op: InstanceOperationObject): OperationRecord {
  return {
    ...(op.status?.startTime ? { startTime: op.status.startTime } : {}),
    ...(op.status?.completionTime ? { completionTime: op.status.completionTime } : {}),
  };
}

class ActionFailure extends Error {
  readonly reason: FailureReason;
  constructor(reason: FailureReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

function fail(started: RunRecord, err: ActionFailure, now: number): RunRecord {
  return {
    ...started,
    completionTime: stamp(now),
    failure: { reason: err.reason, message: err.message },
  };
}

async function run(op: InstanceOperationObject, host: OperationHost, signal: AbortSignal) {
  const name = op.spec.instanceRef.name;
  const uid = boundInstance(op, host);
  const vm = await host.vm(uid);
  const state = vm ? (await vm.status()).state : 'exited';
  if (!vm || (state !== 'running' && state !== 'paused')) {
    throw new ActionFailure('InstanceNotRunning', `the VM of Instance ${name} is not running`);
  }
  const act = async (what: string, f: () => Promise<unknown>) => {
    try {
      await f();
    } catch (err) {
      throw new ActionFailure('ActionFailed', `${what}: ${errorText(err)}`);
    }
  };
  switch (op.spec.action) {
    case 'force-reboot':
      await act('resetting the VM', () => vm.reboot());
      return;
    case 'force-stop':
      // QEMU goes at once; the instance's runStrategy decides what follows (powerState stays).
      await act('stopping the VM', () => vm.kill());
      return;
    case 'reboot': {
      // A clean reboot is the guest's to do: asked through its agent.
      await guest(host, uid, (qga) =>
        act('asking the guest to reboot', () => qga.shutdown('reboot')),
      );
      return;
    }
    case 'reset-password': {
      const rp = op.spec.resetPassword;
      const password = await host.password(op.metadata.uid ?? '', signal);
      if (!rp || password === undefined) {
        // The manager copies it before binding: not there means it is on its way, or gone.
        throw new ReconcileError(
          'WaitingForPassword',
          `the password copy ${resetPasswordSecretName(op.metadata.uid ?? '')} (key ${resetPasswordSecretKey}) is not in the hosts namespace yet`,
        );
      }
      await guest(host, uid, (qga) =>
        act(`setting the password of ${rp.username}`, () =>
          qga.setUserPassword(rp.username, password),
        ),
      );
      return;
    }
    case 'rebuild':
      // Not here: see rebuildStep.
      return;
  }
}

/** The instance an operation was bound for, if it is still this host's. */
function boundInstance(op: InstanceOperationObject, host: OperationHost) {
  const instance = host.instance(op.metadata.namespace ?? '', op.spec.instanceRef.name);
  const uid = op.status?.instanceUID;
  if (!instance || uid === undefined || instance.metadata.uid !== uid) {
    throw new ActionFailure(
      'InstanceNotOnHost',
      `Instance ${op.spec.instanceRef.name} (uid ${uid ?? 'unknown'}) is not on this host any more`,
    );
  }
  return uid;
}

/**
 * A rebuild here is the VM kept off (the VM's reconcile stops it while the operation has not
 * ended) until the manager has re-made the boot volume: started once QEMU is gone, ended as
 * status.rebuild says the volume's VolumeOperation ended. Unlike the other actions it survives
 * an agent restart: the VM stays off and the wait goes on.
 */
async function rebuildStep(
  op: InstanceOperationObject,
  host: OperationHost,
  mine: RunRecord | undefined,
): Promise<{ wait: { reason: string; message: string } } | { ended: RunRecord } | undefined> {
  if (!mine) {
    const uid = op.status?.instanceUID;
    if (uid === undefined) return undefined;
    const vm = await host.vm(uid);
    const state = vm ? (await vm.status()).state : 'exited';
    // QEMU has the boot volume open until it is gone.
    if (state !== 'exited') {
      return { wait: { reason: 'StoppingVm', message: 'the VM is being stopped for the rebuild' } };
    }
    return undefined;
  }
  const progress = op.status?.rebuild;
  if (progress?.phase === 'Succeeded') {
    return { ended: { ...mine, completionTime: stamp(host.now()) } };
  }
  if (progress?.phase === 'Failed') {
    return {
      ended: {
        ...mine,
        completionTime: stamp(host.now()),
        failure: {
          reason: 'ActionFailed',
          message: `the boot volume ${progress.volume} could not be re-made from Image ${progress.image.namespace}/${progress.image.name} (${progress.reason ?? 'Failed'}): ${progress.message ?? 'no message'}; the VM starts again from its old disk`,
        },
      },
    };
  }
  const how = progress
    ? `the boot volume ${progress.volume} is being re-made from Image ${progress.image.namespace}/${progress.image.name} by VolumeOperation ${progress.volumeOperation} (${progress.phase ?? 'Pending'}${progress.message ? `: ${progress.message}` : ''})`
    : 'the manager is to re-make the boot volume';
  return { wait: { reason: rebuildingReason, message: `the VM is off; ${how}` } };
}

/** Runs `fn` with the guest agent; one that does not answer fails the action, saying so. */
async function guest(
  host: OperationHost,
  uid: string,
  fn: (qga: GuestAgentClient) => Promise<void>,
): Promise<void> {
  const reached = { guest: false };
  try {
    await host.withGuestAgent(uid, (qga) => {
      reached.guest = true;
      return fn(qga);
    });
  } catch (err) {
    if (reached.guest) throw err;
    throw new ActionFailure(
      'GuestAgentNotConnected',
      `the guest agent does not answer (is qemu-guest-agent running in the guest?): ${errorText(err)}`,
    );
  }
}

export function instanceOperationRun(
  host: OperationHost,
): ExternalClient<InstanceOperationObject, OperationRecord> {
  const uidOf = (o: InstanceOperationObject) => o.metadata.uid ?? '';
  return {
    async observe(obj): Promise<Observation<OperationRecord>> {
      const mine = await host.records.read(uidOf(obj));
      // Deleted: the agent's record is all there is to remove.
      if (obj.metadata.deletionTimestamp) return { exists: mine !== undefined, upToDate: false };
      if (obj.spec.action === 'rebuild' && mine?.completionTime === undefined) {
        const step = await rebuildStep(obj, host, mine);
        if (step && 'ended' in step) {
          await host.records.write(uidOf(obj), step.ended);
          return settled(obj, step.ended);
        }
        if (step) {
          return {
            exists: mine !== undefined,
            upToDate: mine !== undefined,
            ...(mine ? { observed: recordOf(mine) } : {}),
            inProgress: { ...step.wait, requeueAfterMs: mine ? 3_000 : 2_000 },
          };
        }
      }
      if (mine?.completionTime === undefined && mine?.startTime !== undefined) {
        // Started and never ended here: the agent stopped during the action.
        const ended = {
          ...mine,
          completionTime: stamp(host.now()),
          failure: {
            reason: 'ActionFailed',
            message: 'the agent stopped while the action ran; it is not run again',
          },
        };
        await host.records.write(uidOf(obj), ended);
        return settled(obj, ended);
      }
      if (mine) return settled(obj, mine);
      // Ended before this agent kept records, or by another host's agent.
      const record = operationRecord(obj);
      if (record.completionTime !== undefined) {
        return { exists: true, upToDate: true, observed: record };
      }
      if (obj.status?.instanceUID === undefined) {
        // The binding label comes in one write, the instance's uid in the next: the
        // operation is for that very instance, so it waits for it.
        return {
          exists: false,
          upToDate: false,
          inProgress: {
            reason: 'WaitingForBinding',
            message: 'the manager has not recorded which instance this operation is for yet',
            requeueAfterMs: 1_000,
          },
        };
      }
      return { exists: false, upToDate: false };
    },
    async create(obj, signal) {
      const uid = uidOf(obj);
      const started: RunRecord = { startTime: stamp(host.now()) };
      if (obj.spec.action === 'rebuild') {
        // The VM is off: the manager re-makes the boot volume; the wait is rebuildStep's.
        try {
          boundInstance(obj, host);
        } catch (err) {
          if (!(err instanceof ActionFailure)) throw err;
          await host.records.write(uid, fail(started, err, host.now()));
          return;
        }
        await host.records.write(uid, started);
        return;
      }
      await host.records.write(uid, started);
      try {
        await run(obj, host, signal);
      } catch (err) {
        if (!(err instanceof ActionFailure)) {
          // Not run (a wait, an API error): the next reconcile tries again from the start.
          await host.records.remove(uid);
          throw err;
        }
        await host.records.write(uid, fail(started, err, host.now()));
        return;
      }
      await host.records.write(uid, { ...started, completionTime: stamp(host.now()) });
    },
    async update() {},
    async delete(obj) {
      await host.records.remove(uidOf(obj));
    },
  };
}

/**
 * An operation that ended here: its record, and a failure for good as the reason it ended
 * with. The record is put in the object too, so that the status written with the failure
 * keeps it (a failure writes the fields as the object holds them).
 */
function settled(obj: InstanceOperationObject, r: RunRecord): Observation<OperationRecord> {
  const record = recordOf(r);
  if (r.failure) {
    obj.status = { ...obj.status, ...record };
    throw new ReconcileError(r.failure.reason, r.failure.message, { retry: false });
  }
  return { exists: true, upToDate: true, observed: record };
}

const recordOf = (r: RunRecord): OperationRecord => ({
  ...(r.startTime !== undefined ? { startTime: r.startTime } : {}),
  ...(r.completionTime !== undefined ? { completionTime: r.completionTime } : {}),
});
