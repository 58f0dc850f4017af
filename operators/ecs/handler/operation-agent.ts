// The agent's InstanceOperations: each one bound to this host is run once on its instance's VM
// (operation-run.ts), with the agent's own record of it on disk; simulated hosts end them at once.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { realClock } from '../../../controllers/clock/index.ts';
import type { ExternalClient, ManagedStatus } from '../../../controllers/external/index.ts';
import { writeFileAtomic, type HostModuleContext } from '../../../controllers/host/index.ts';
import type { Informer } from '../../../controllers/informer/index.ts';
import { addManagedController } from '../../../controllers/wiring/index.ts';
import {
  executedCondition,
  InstanceOperation,
  resetPasswordSecretKey,
  resetPasswordSecretName,
  vmFinalizer,
  type InstanceObject,
  type InstanceOperationObject,
  type InstanceOperationStatus,
} from '../api/index.ts';
import type { Vm } from '../backend/qemu/index.ts';
import type { GuestAgents } from './guest-agents.ts';
import { hostCopyReader } from './host-copy.ts';
import {
  instanceOperationRun,
  operationRecord,
  type OperationHost,
  type OperationRecord,
  type RunRecord,
} from './operation-run.ts';

/** InstanceOperations bound to this host: each action run once on its instance's VM. */
export function addOperationAgent(
  ctx: HostModuleContext,
  instances: Informer<InstanceObject>,
  operations: Informer<InstanceOperationObject>,
  vm: (uid: string) => Promise<Vm | undefined>,
  guestAgents: GuestAgents,
): void {
  const { mgr } = ctx;
  const readCopy = hostCopyReader(ctx);
  const stateDir = ctx.stateDir;
  addManagedController<
    InstanceOperationObject,
    InstanceOperationStatus & ManagedStatus,
    OperationRecord
  >(mgr, {
    name: 'ecs-operation-agent',
    resource: InstanceOperation.resource,
    informer: operations,
    reconciler: {
      finalizer: vmFinalizer,
      external: () =>
        ctx.simulated
          ? simulatedOperationRun()
          : instanceOperationRun({
              instance: (ns, name) => instances.cache.get(`${ns}/${name}`),
              vm,
              withGuestAgent: (uid, fn) => guestAgents.use(uid, { timeoutMs: 10_000 }, fn),
              password: (opUid, signal) =>
                readCopy(resetPasswordSecretName(opUid), resetPasswordSecretKey, signal),
              records: opRecords(path.join(stateDir, 'operations')),
              now: () => realClock.now(),
            }),
      status: (o, observation) => observation.observed ?? operationRecord(o),
      statusFields: ['startTime', 'completionTime'],
      role: { kind: 'contributor', condition: executedCondition },
    },
  });
}

/** The agent's records of the operations it started: a JSON file each, by operation uid. */
function opRecords(dir: string): OperationHost['records'] {
  const file = (uid: string) => path.join(dir, `${uid}.json`);
  return {
    async read(uid) {
      try {
        return JSON.parse(await readFile(file(uid), 'utf8')) as RunRecord;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    write: (uid, r) => writeFileAtomic(file(uid), JSON.stringify(r) + '\n'),
    remove: (uid) => rm(file(uid), { force: true }),
  };
}

/** Simulated hosts run nothing: an operation ends at once. */
function simulatedOperationRun(): ExternalClient<InstanceOperationObject, OperationRecord> {
  const stamp = () => new Date(realClock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    observe: (o) =>
      Promise.resolve(
        o.metadata.deletionTimestamp
          ? { exists: false, upToDate: false }
          : {
              exists: o.status?.completionTime !== undefined,
              upToDate: o.status?.completionTime !== undefined,
              observed: operationRecord(o),
            },
      ),
    create: (o) => {
      o.status = { ...o.status, startTime: stamp(), completionTime: stamp() };
      return Promise.resolve();
    },
    update: () => Promise.resolve(),
    delete: () => Promise.resolve(),
  };
}
