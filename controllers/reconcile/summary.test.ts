import { describe, expect, it } from '@jest/globals';
import type { Condition, Outcome } from './conditions.ts';
import { contributionOutcome, summarize } from './summary.ts';

const t0 = '2026-01-01T00:00:00Z';
const provisioned = (
  status: Condition['status'],
  observedGeneration: number | undefined,
  reason = 'Provisioned',
): Condition => ({
  type: 'Provisioned',
  status,
  reason,
  message: `${reason} message`,
  ...(observedGeneration === undefined ? {} : { observedGeneration }),
  lastTransitionTime: t0,
});
const ready: Outcome = { state: 'Ready', reason: 'Scheduled', message: 'on h1' };

describe('contributionOutcome', () => {
  it('reads a missing condition, or one of another generation, as waiting for it', () => {
    expect(contributionOutcome('Provisioned', undefined, 2)).toEqual({
      state: 'Reconciling',
      reason: 'WaitingForProvisioned',
      message: 'Provisioned is not reported yet',
    });
    // True for generation 1 says nothing about generation 2.
    expect(contributionOutcome('Provisioned', provisioned('True', 1), 2)).toEqual({
      state: 'Reconciling',
      reason: 'WaitingForProvisioned',
      message: 'Provisioned is not reported for generation 2 yet (last for 1)',
    });
    expect(contributionOutcome('Provisioned', provisioned('True', undefined), 2).reason).toBe(
      'WaitingForProvisioned',
    );
  });

  it('reads True, Unknown and False for this generation, False as stalled only when the product says', () => {
    expect(contributionOutcome('Provisioned', provisioned('True', 2), 2).state).toBe('Ready');
    expect(
      contributionOutcome('Provisioned', provisioned('Unknown', 2, 'PoolUnreachable'), 2),
    ).toEqual({
      state: 'Unknown',
      reason: 'PoolUnreachable',
      message: 'PoolUnreachable message',
    });
    const corrupt = provisioned('False', 2, 'ImageCorrupt');
    expect(contributionOutcome('Provisioned', corrupt, 2).state).toBe('Reconciling');
    expect(
      contributionOutcome('Provisioned', corrupt, 2, (c) => c.reason === 'ImageCorrupt').state,
    ).toBe('Stalled');
  });
});

describe('summarize', () => {
  it('is Ready when every part is, naming them', () => {
    expect(
      summarize([
        { type: 'Scheduled', outcome: ready },
        { type: 'Provisioned', outcome: ready },
      ]),
    ).toEqual({
      outcome: {
        state: 'Ready',
        reason: 'Available',
        message: 'every part is True for this generation: Scheduled, Provisioned',
      },
    });
  });

  it('lets the first part that is not Ready decide', () => {
    const copying: Outcome = { state: 'Reconciling', reason: 'Copying', message: '40%' };
    const lost: Outcome = { state: 'Unknown', reason: 'HostHeartbeatLost', message: 'h1' };
    expect(
      summarize([
        { type: 'Scheduled', outcome: ready },
        { type: 'Provisioned', outcome: copying },
        { type: 'Attached', outcome: lost },
      ]),
    ).toEqual({ outcome: copying, decidedBy: 'Provisioned' });
    expect(
      summarize([
        { type: 'Scheduled', outcome: lost },
        { type: 'Provisioned', outcome: copying },
      ]),
    ).toEqual({ outcome: lost, decidedBy: 'Scheduled' });
  });
});
