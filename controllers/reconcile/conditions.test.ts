import { describe, expect, it } from '@jest/globals';
import { kstatusOf } from '../testing/index.ts';
import {
  getCondition,
  isConditionTrue,
  observedGenerationAfter,
  setCondition,
  setOutcomeConditions,
  type Condition,
  type Outcome,
} from './conditions.ts';

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

describe('setOutcomeConditions', () => {
  const ready: Outcome = { state: 'Ready', reason: 'Available', message: 'up' };
  const retrying: Outcome = { state: 'Reconciling', reason: 'BackendUnreachable', message: 'down' };
  const stalled: Outcome = { state: 'Stalled', reason: 'CIDROverlap', message: 'overlaps b' };
  const unknown: Outcome = { state: 'Unknown', reason: 'HostHeartbeatLost', message: 'h1 is gone' };
  const summary = (list: Condition[]) =>
    list.map((c) => `${c.type}=${c.status} ${c.reason} @${String(c.observedGeneration)}`);

  it('writes Ready, Reconciling and Stalled, each with the generation', () => {
    expect(summary(setOutcomeConditions(undefined, ready, 3, t0))).toEqual([
      'Ready=True Available @3',
      'Reconciling=False Succeeded @3',
      'Stalled=False Succeeded @3',
    ]);
    expect(summary(setOutcomeConditions(undefined, retrying, 3, t0))).toEqual([
      'Ready=False BackendUnreachable @3',
      'Reconciling=True BackendUnreachable @3',
      'Stalled=False Retrying @3',
    ]);
    expect(summary(setOutcomeConditions(undefined, stalled, 3, t0))).toEqual([
      'Ready=False CIDROverlap @3',
      'Reconciling=False Stalled @3',
      'Stalled=True CIDROverlap @3',
    ]);
    expect(summary(setOutcomeConditions(undefined, unknown, 3, t0))).toEqual([
      'Ready=Unknown HostHeartbeatLost @3',
      'Reconciling=True HostHeartbeatLost @3',
      'Stalled=False Retrying @3',
    ]);
  });

  it('leaves other conditions alone and moves lastTransitionTime only on a status change', () => {
    const first = setOutcomeConditions([synced], ready, 1, t0);
    const second = setOutcomeConditions(first, retrying, 2, t1);
    expect(second[0]).toEqual(synced);
    const at = (type: string) => second.find((c) => c.type === type)?.lastTransitionTime;
    expect(at('Ready')).toBe('2026-01-01T00:05:00Z');
    expect(at('Reconciling')).toBe('2026-01-01T00:05:00Z');
    expect(at('Stalled')).toBe('2026-01-01T00:00:00Z');
  });

  it('reads as kstatus reads it: Current, InProgress, Failed, Terminating', () => {
    const obj = (outcome: Outcome, generation: number, previous?: number, deleting = false) => ({
      metadata: {
        name: 'a',
        generation,
        ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
      },
      status: {
        observedGeneration: observedGenerationAfter(outcome, generation, previous),
        conditions: setOutcomeConditions(undefined, outcome, generation, t0),
      },
    });
    expect(kstatusOf(obj(ready, 2, 1))).toBe('Current');
    // Retried: in progress, whether the spec changed or not.
    expect(kstatusOf(obj(retrying, 2, 1))).toBe('InProgress');
    expect(kstatusOf(obj(retrying, 2, 2))).toBe('InProgress');
    // Needs a human: the generation is concluded, so kstatus gets to the Stalled condition.
    expect(kstatusOf(obj(stalled, 2, 1))).toBe('Failed');
    // Out of reach: nobody knows, the controller looks again; the generation is not concluded.
    expect(kstatusOf(obj(unknown, 2, 1))).toBe('InProgress');
    expect(obj(unknown, 2, 1).status.observedGeneration).toBe(1);
    expect(kstatusOf(obj(retrying, 3, 2, true))).toBe('Terminating');
    // A spec changed while no controller ran keeps Ready=True but is not Current.
    const changed = obj(ready, 1, 0);
    changed.metadata.generation = 2;
    expect(kstatusOf(changed)).toBe('InProgress');
  });
});
