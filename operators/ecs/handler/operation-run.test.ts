import { describe, expect, it } from '@jest/globals';
import type { InstanceObject, InstanceOperationObject } from '../api/index.ts';
import type { Vm } from '../backend/qemu/index.ts';
import { instanceOperationRun, type OperationHost, type RunRecord } from './operation-run.ts';

const uid = '6a0e1d2c-0000-4000-8000-000000000001';
const op = (status: InstanceOperationObject['status'] = { instanceUID: uid }) =>
  ({
    metadata: { name: 'op', namespace: 'ns', uid: 'op-uid' },
    spec: { instanceRef: { name: 'vm' }, action: 'force-reboot' },
    status,
  }) as InstanceOperationObject;

function host(opts: {
  instance?: boolean;
  state?: 'running' | 'exited';
  reboot?: () => Promise<void>;
}) {
  const calls: string[] = [];
  const records = new Map<string, RunRecord>();
  const vm = {
    status: () => Promise.resolve({ state: opts.state ?? 'running' }),
    reboot: async () => {
      calls.push('reboot');
      await (opts.reboot?.() ?? Promise.resolve());
    },
  } as unknown as Vm;
  const h: OperationHost = {
    instance: () =>
      opts.instance === false
        ? undefined
        : ({ metadata: { name: 'vm', namespace: 'ns', uid } } as InstanceObject),
    vm: () => Promise.resolve(vm),
    withGuestAgent: () => Promise.reject(new Error('no agent')),
    password: () => Promise.resolve(undefined),
    records: {
      read: (k) => Promise.resolve(records.get(k)),
      write: (k, r) => {
        records.set(k, r);
        return Promise.resolve();
      },
      remove: (k) => {
        records.delete(k);
        return Promise.resolve();
      },
    },
    now: () => Date.parse('2026-12-05T10:00:00Z'),
  };
  return { h, calls, records };
}

const signal = new AbortController().signal;

describe('instanceOperationRun', () => {
  it('waits for the manager to record the instance it is for', async () => {
    const o = await instanceOperationRun(host({}).h).observe(op({}), signal);
    expect(o.inProgress?.reason).toBe('WaitingForBinding');
  });

  it('runs the action once, even when it looks again at a copy that does not show it ran', async () => {
    const { h, calls } = host({});
    const run = instanceOperationRun(h);
    expect((await run.observe(op(), signal)).exists).toBe(false);
    await run.create(op(), signal);
    expect(calls).toEqual(['reboot']);
    // The same stale copy again: its own record says it ran.
    const again = await run.observe(op(), signal);
    expect(again).toMatchObject({
      exists: true,
      upToDate: true,
      observed: { startTime: '2026-12-05T10:00:00Z', completionTime: '2026-12-05T10:00:00Z' },
    });
    expect(calls).toEqual(['reboot']);
  });

  it('ends for good with a reason and its record, and stays so when looked at again', async () => {
    const { h, calls } = host({ state: 'exited' });
    const run = instanceOperationRun(h);
    await run.create(op(), signal);
    for (let i = 0; i < 2; i++) {
      const stale = op();
      await expect(run.observe(stale, signal)).rejects.toMatchObject({
        reason: 'InstanceNotRunning',
        retry: false,
      });
      // The record goes with the failure into the status.
      expect(stale.status?.completionTime).toBe('2026-12-05T10:00:00Z');
    }
    expect(calls).toEqual([]);
  });

  it('does not run again an action an agent restart cut short: it failed', async () => {
    const { h, calls, records } = host({});
    records.set('op-uid', { startTime: '2026-12-05T09:59:00Z' });
    const run = instanceOperationRun(h);
    await expect(run.observe(op(), signal)).rejects.toMatchObject({ reason: 'ActionFailed' });
    expect(calls).toEqual([]);
  });

  it('refuses an instance that is not the one recorded', async () => {
    const { h } = host({ instance: false });
    const run = instanceOperationRun(h);
    await run.create(op(), signal);
    await expect(run.observe(op(), signal)).rejects.toMatchObject({ reason: 'InstanceNotOnHost' });
  });

  it('forgets its record when the operation is deleted', async () => {
    const { h, records } = host({});
    const run = instanceOperationRun(h);
    await run.create(op(), signal);
    const deleting = op();
    deleting.metadata.deletionTimestamp = '2026-12-05T10:01:00Z';
    expect((await run.observe(deleting, signal)).exists).toBe(true);
    await run.delete(deleting, signal);
    expect(records.size).toBe(0);
  });

  describe('a rebuild', () => {
    const rebuild = (status: InstanceOperationObject['status'] = { instanceUID: uid }) => {
      const o = op(status);
      o.spec = { instanceRef: { name: 'vm' }, action: 'rebuild' };
      return o;
    };
    const progress = (phase: string, extra: object = {}) => ({
      volumeOperation: 'rebuild-op-uid',
      volume: 'vm-boot',
      image: { name: 'debian', namespace: 'ns' },
      phase,
      ...extra,
    });

    it('waits for the VM to be off before it starts', async () => {
      const { h, records } = host({ state: 'running' });
      const o = await instanceOperationRun(h).observe(rebuild(), signal);
      expect(o).toMatchObject({ exists: false, inProgress: { reason: 'StoppingVm' } });
      expect(records.size).toBe(0);
    });

    it('starts once QEMU is gone, then waits on the manager, also across an agent restart', async () => {
      const { h, calls } = host({ state: 'exited' });
      const run = instanceOperationRun(h);
      expect((await run.observe(rebuild(), signal)).exists).toBe(false);
      await run.create(rebuild(), signal);
      const waiting = {
        exists: true,
        upToDate: true,
        observed: { startTime: '2026-12-05T10:00:00Z' },
        inProgress: { reason: 'Rebuilding' },
      };
      expect(await run.observe(rebuild(), signal)).toMatchObject(waiting);
      // A new agent (same records on disk) does not read a started rebuild as cut short.
      const after = instanceOperationRun(h);
      const seen = await after.observe(
        rebuild({ instanceUID: uid, rebuild: progress('Running', { message: 'cloning' }) }),
        signal,
      );
      expect(seen).toMatchObject(waiting);
      expect(seen.inProgress?.message).toContain(
        'VolumeOperation rebuild-op-uid (Running: cloning)',
      );
      expect(calls).toEqual([]);
    });

    it('ends as the VolumeOperation ended: done, or failed with its reason', async () => {
      const { h } = host({ state: 'exited' });
      const run = instanceOperationRun(h);
      await run.create(rebuild(), signal);
      expect(
        await run.observe(rebuild({ instanceUID: uid, rebuild: progress('Succeeded') }), signal),
      ).toMatchObject({
        exists: true,
        upToDate: true,
        observed: { completionTime: '2026-12-05T10:00:00Z' },
      });

      const other = host({ state: 'exited' });
      const failing = instanceOperationRun(other.h);
      await failing.create(rebuild(), signal);
      const failed = rebuild({
        instanceUID: uid,
        rebuild: progress('Failed', { reason: 'HasSnapshots', message: 'delete them first' }),
      });
      await expect(failing.observe(failed, signal)).rejects.toMatchObject({
        reason: 'ActionFailed',
        retry: false,
        message: expect.stringContaining('(HasSnapshots): delete them first'),
      });
      // Looked at again (a stale copy): the same end, from its record.
      await expect(failing.observe(rebuild(), signal)).rejects.toMatchObject({
        reason: 'ActionFailed',
      });
    });

    it('fails at once for an instance no longer on this host', async () => {
      const { h } = host({ instance: false, state: 'exited' });
      const run = instanceOperationRun(h);
      await run.create(rebuild(), signal);
      await expect(run.observe(rebuild(), signal)).rejects.toMatchObject({
        reason: 'InstanceNotOnHost',
      });
    });
  });
});
