import { describe, expect, it } from '@jest/globals';
import { createdNote, path, setup, startDeletion, type Setup } from './managed-fixture.ts';

const periodMs = 1_000;

/**
 * A Note whose `size` is a sum over members (as a Subnet's address counters are), batched; the
 * members are a number the test sets, and `path` an ordinary field it can change too.
 */
async function batchedNote() {
  const members = { count: 0, path: '/p' };
  const s = await createdNote(
    { text: 'hello' },
    {
      status: () => ({ path: members.path, size: members.count }),
      batchedStatus: { fields: ['size'], periodMs },
    },
  );
  return { ...s, members };
}

/** Status writes made since the last clear, with the size each sent. */
function sizesWritten(s: Setup): (number | undefined)[] {
  return s.api.calls
    .filter((c) => c.path === `${path}/status`)
    .map((c) => (c.body as { status: { size?: number } }).status.size);
}

describe('batched status fields', () => {
  it('writes a burst of member changes once per period, and the last value exactly', async () => {
    const s = await batchedNote();
    expect(s.stored().status?.size).toBe(0);

    // Ten members join within the period that began with the create's status write.
    const requeues: (number | undefined)[] = [];
    for (let i = 1; i <= 10; i++) {
      await s.clock.advance(50);
      s.members.count = i;
      requeues.push((await s.run())?.requeueAfter);
      s.syncCache();
    }
    expect(s.api.calls).toEqual([]);
    // Each reconcile asks to come back when the period ends, not later.
    expect(requeues).toEqual([950, 900, 850, 800, 750, 700, 650, 600, 550, 500]);

    await s.clock.advance(500);
    expect(await s.run()).toBeUndefined();
    s.syncCache();
    expect(sizesWritten(s)).toEqual([10]);
    expect(s.stored().status?.size).toBe(10);

    // The burst goes on: the next period's changes wait for its end too.
    s.clear();
    for (let i = 11; i <= 25; i++) {
      await s.clock.advance(20);
      s.members.count = i;
      await s.run();
      s.syncCache();
    }
    expect(s.api.calls).toEqual([]);
    await s.clock.advance(periodMs);
    await s.run();
    s.syncCache();
    expect(sizesWritten(s)).toEqual([25]);

    // Converged: nothing more is written or requeued.
    s.clear();
    await s.clock.advance(periodMs);
    expect(await s.run()).toBeUndefined();
    expect(s.api.calls).toEqual([]);
  });

  it('writes a change after a quiet period at once', async () => {
    const s = await batchedNote();
    await s.clock.advance(periodMs);
    s.members.count = 3;
    expect(await s.run()).toBeUndefined();
    expect(sizesWritten(s)).toEqual([3]);
  });

  it('holds back nothing but the sums: another change goes out at once, with the sums as they are', async () => {
    const s = await batchedNote();
    await s.clock.advance(100);
    s.members.count = 4;
    await s.run();
    s.syncCache();
    expect(s.api.calls).toEqual([]);

    await s.clock.advance(100);
    s.members.path = '/q';
    expect(await s.run()).toBeUndefined();
    s.syncCache();
    expect(sizesWritten(s)).toEqual([4]);
    expect(s.stored().status).toMatchObject({ path: '/q', size: 4 });
  });

  it('writes at once after a restart: the new process recomputes and writes what it finds', async () => {
    const s = await batchedNote();
    await s.clock.advance(100);
    s.members.count = 7;
    await s.run();
    expect(s.api.calls).toEqual([]);

    const restarted = s.writer({
      status: () => ({ path: s.members.path, size: s.members.count }),
      batchedStatus: { fields: ['size'], periodMs },
    });
    expect(await restarted()).toBeUndefined();
    expect(sizesWritten(s)).toEqual([7]);
  });
});

describe('success events', () => {
  it('records no event for a routine create or update when turned off, and still records deletions', async () => {
    const s = setup({ successEvents: false });
    s.api.seed(s.client, {
      apiVersion: 'example.kcloud.io/v1alpha1',
      kind: 'Note',
      metadata: { namespace: 'ns', name: 'a' },
      spec: { text: 'hello' },
    });
    s.syncCache();
    await s.run();
    s.syncCache();
    expect(s.backend.calls).toEqual(['observe', 'create', 'observe']);
    expect(s.recorder.events).toEqual([]);

    await s.client.patch('ns', 'a', 'merge', { spec: { text: 'hello, world' } });
    s.syncCache();
    s.clear();
    await s.run();
    expect(s.backend.calls).toEqual(['observe', 'update', 'observe']);
    expect(s.recorder.events).toEqual([]);

    await startDeletion(s);
    await s.run();
    expect(s.recorder.summary()).toEqual(['Normal Deleted']);
  });
});
