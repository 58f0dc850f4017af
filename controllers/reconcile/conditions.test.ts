import { describe, expect, it } from '@jest/globals';
import { getCondition, isConditionTrue, setCondition, type Condition } from './conditions.ts';

const t0 = new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 250));
const t1 = new Date(Date.UTC(2026, 0, 1, 0, 5, 0));

const synced: Condition = {
  type: 'Synced',
  status: 'True',
  reason: 'Polled',
  message: 'the backend was polled',
  observedGeneration: 1,
  lastTransitionTime: '2025-12-31T00:00:00Z',
};

describe('setCondition', () => {
  it('adds a condition, stamped with the time to the second', () => {
    const list = setCondition(
      undefined,
      { type: 'Ready', status: 'False', reason: 'Creating', message: 'creating' },
      t0,
    );
    expect(list).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'Creating',
        message: 'creating',
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ]);
  });

  it('replaces a condition of the same type in place and leaves the others alone', () => {
    const before = setCondition(
      [synced],
      { type: 'Ready', status: 'False', reason: 'Creating', message: 'creating' },
      t0,
    );
    const after = setCondition(
      [...before, { ...synced, type: 'Degraded', status: 'False' }],
      { type: 'Ready', status: 'True', reason: 'Available', message: 'up', observedGeneration: 2 },
      t1,
    );
    expect(after).toEqual([
      synced,
      {
        type: 'Ready',
        status: 'True',
        reason: 'Available',
        message: 'up',
        observedGeneration: 2,
        lastTransitionTime: '2026-01-01T00:05:00Z',
      },
      { ...synced, type: 'Degraded', status: 'False' },
    ]);
    // A new list: the input is not modified.
    expect(before[1]?.status).toBe('False');
  });

  it('keeps lastTransitionTime when the status stays the same, even if reason and message change', () => {
    const list = setCondition(
      [synced],
      {
        type: 'Synced',
        status: 'True',
        reason: 'Repolled',
        message: 'again',
        observedGeneration: 3,
      },
      t1,
    );
    expect(list).toEqual([
      {
        type: 'Synced',
        status: 'True',
        reason: 'Repolled',
        message: 'again',
        observedGeneration: 3,
        lastTransitionTime: synced.lastTransitionTime,
      },
    ]);
  });

  it('changes lastTransitionTime when the status changes', () => {
    for (const status of ['False', 'Unknown'] as const) {
      const [cond] = setCondition(
        [synced],
        { type: 'Synced', status, reason: 'Lost', message: 'the backend went away' },
        t1,
      );
      expect(cond?.status).toBe(status);
      expect(cond?.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
    }
  });
});

describe('getCondition and isConditionTrue', () => {
  it('find a condition by type', () => {
    const list = [synced, { ...synced, type: 'Ready', status: 'False' as const }];
    expect(getCondition(list, 'Ready')?.status).toBe('False');
    expect(getCondition(list, 'Missing')).toBeUndefined();
    expect(getCondition(undefined, 'Ready')).toBeUndefined();
    expect(isConditionTrue(list, 'Synced')).toBe(true);
    expect(isConditionTrue(list, 'Ready')).toBe(false);
    expect(isConditionTrue(undefined, 'Ready')).toBe(false);
  });
});
