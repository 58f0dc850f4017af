// The agent's side of an InstanceOperation: run its action once on the VM. The record is the
// operation's status: one with a completionTime has run, in success or failure, and never runs
// again. A failure for good says why with one of the API's failure reasons.
import {
  ReconcileError,
  type ExternalClient,
  type Observation,
} from '../../../controllers/external/index.ts';
import {
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

type FailureReason = (typeof operationFailureReasons)[number];

export interface OperationHost {
  /** The instance bound to this host, from its cache. */
  instance(namespace: string, name: string): InstanceObject | undefined;
  /** The VM's handle; undefined when it has none here. */
  vm(uid: string): Promise<Vm | undefined>;
  /** A connection to the VM's guest agent, or an error saying it does not answer. */
  guestAgent(uid: string): Promise<GuestAgentClient>;
  /** The password the manager copied for this operation (hosts namespace), or undefined. */
  password(operationUid: string, signal: AbortSignal): Promise<string | undefined>;
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

async function run(op: InstanceOperationObject, host: OperationHost, signal: AbortSignal) {
  const ns = op.metadata.namespace ?? '';
  const name = op.spec.instanceRef.name;
  const instance = host.instance(ns, name);
  const uid = op.status?.instanceUID;
  if (!instance || uid === undefined || instance.metadata.uid !== uid) {
    throw new ActionFailure(
      'InstanceNotOnHost',
      `Instance ${name} (uid ${uid ?? 'unknown'}) is not on this host any more`,
    );
  }
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
      const qga = await guest(host, uid);
      try {
        await act('asking the guest to reboot', () => qga.shutdown('reboot'));
      } finally {
        qga.close();
      }
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
      const qga = await guest(host, uid);
      try {
        await act(`setting the password of ${rp.username}`, () =>
          qga.setUserPassword(rp.username, password),
        );
      } finally {
        qga.close();
      }
      return;
    }
    case 'rebuild':
      throw new ActionFailure(
        'ActionFailed',
        'rebuild is not supported by this release: delete the Instance and create it again (keepBootVolume keeps nothing of the old disk you need, data volumes stay)',
      );
  }
}

async function guest(host: OperationHost, uid: string): Promise<GuestAgentClient> {
  try {
    return await host.guestAgent(uid);
  } catch (err) {
    throw new ActionFailure(
      'GuestAgentNotConnected',
      `the guest agent does not answer (is qemu-guest-agent running in the guest?): ${errorText(err)}`,
    );
  }
}

export function instanceOperationRun(
  host: OperationHost,
): ExternalClient<InstanceOperationObject, OperationRecord> {
  return {
    observe(obj): Promise<Observation<OperationRecord>> {
      // An operation leaves nothing on the host: once deleted, there is nothing to remove.
      if (obj.metadata.deletionTimestamp)
        return Promise.resolve({ exists: false, upToDate: false });
      const record = operationRecord(obj);
      const done = record.completionTime !== undefined;
      if (!done && obj.status?.instanceUID === undefined) {
        // The binding label comes in one write, the instance's uid in the next: the
        // operation is for that very instance, so it waits for it.
        return Promise.resolve({
          exists: false,
          upToDate: false,
          inProgress: {
            reason: 'WaitingForBinding',
            message: 'the manager has not recorded which instance this operation is for yet',
            requeueAfterMs: 1_000,
          },
        });
      }
      return Promise.resolve({ exists: done, upToDate: done, observed: record });
    },
    async create(obj, signal) {
      const startTime = stamp(host.now());
      try {
        await run(obj, host, signal);
      } catch (err) {
        if (!(err instanceof ActionFailure)) throw err;
        // Ended: the record says when, the reason why; the reconcile writes both.
        obj.status = { ...obj.status, startTime, completionTime: stamp(host.now()) };
        throw new ReconcileError(err.reason, err.message, { retry: false });
      }
      obj.status = { ...obj.status, startTime, completionTime: stamp(host.now()) };
    },
    async update() {},
    async delete() {},
  };
}
