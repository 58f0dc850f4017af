import { describe, expect, it } from '@jest/globals';
import type { PhaseSummary } from '../../../../controllers/external/index.ts';
import type { InstanceOperationObject } from '../../api/index.ts';
import { operationFailed, operationPhase } from './operation-phase.ts';

const op = (status: InstanceOperationObject['status'] = {}): InstanceOperationObject => ({
  apiVersion: 'ecs.kcloud.io/v1alpha1',
  kind: 'InstanceOperation',
  metadata: { name: 'op', namespace: 't1' },
  spec: { instanceRef: { name: 'web-1' }, action: 'reboot' },
  status,
});

const summary = (
  state: PhaseSummary['outcome']['state'],
  decidedBy?: string,
  deleting = false,
): PhaseSummary => ({
  outcome: { state, reason: 'R', message: 'm' },
  ...(decidedBy !== undefined ? { decidedBy } : {}),
  phase: 'x',
  deleting,
});

const t = '2026-01-01T00:00:00Z';

describe('the phase of an InstanceOperation', () => {
  it('is Pending until bound and started, Running while it runs', () => {
    expect(operationPhase(op(), summary('Reconciling', 'Scheduled'))).toBe('Pending');
    expect(operationPhase(op(), summary('Reconciling', 'Executed'))).toBe('Pending');
    expect(operationPhase(op({ startTime: t }), summary('Reconciling', 'Executed'))).toBe(
      'Running',
    );
    // A host out of reach says nothing new: the record decides.
    expect(operationPhase(op({ startTime: t }), summary('Unknown', 'Scheduled'))).toBe('Running');
  });

  it('ends Succeeded or Failed, and keeps that while it is deleted', () => {
    expect(operationPhase(op(), summary('Ready'))).toBe('Succeeded');
    expect(operationPhase(op(), summary('Stalled', 'Scheduled'))).toBe('Failed');
    expect(
      operationPhase(op({ startTime: t, completionTime: t }), summary('Reconciling', 'Executed')),
    ).toBe('Failed');
    expect(
      operationPhase(op({ phase: 'Succeeded' }), summary('Reconciling', 'Scheduled', true)),
    ).toBe('Succeeded');
  });

  it('reads the agent’s failure reasons as the end, any other as work under way', () => {
    const executed = (reason: string) => ({
      type: 'Executed',
      status: 'False' as const,
      reason,
      message: '',
      lastTransitionTime: t,
    });
    expect(operationFailed(executed('ActionFailed'))).toBe(true);
    expect(operationFailed(executed('GuestAgentNotConnected'))).toBe(true);
    expect(operationFailed(executed('Rebooting'))).toBe(false);
  });
});
