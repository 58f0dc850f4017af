import { describe, expect, it } from '@jest/globals';
import { currentReadiness, type ObjectWithStatus } from './readiness.ts';

const object = (
  generation: number,
  observed: number | undefined,
  ready: { status: string; observedGeneration?: number; reason?: string } | undefined,
): ObjectWithStatus => ({
  kind: 'VPC',
  metadata: { name: 'demo', namespace: 'default', generation },
  status: {
    ...(observed === undefined ? {} : { observedGeneration: observed }),
    conditions: ready ? [{ type: 'Ready', ...ready }] : [],
  },
});

describe('ready for the current generation', () => {
  it('is ready when both observed generations are the current one', () => {
    expect(currentReadiness(object(3, 3, { status: 'True', observedGeneration: 3 })).ready).toBe(
      true,
    );
  });

  it('is not ready when Ready=True but status.observedGeneration lags (a change not applied)', () => {
    const r = currentReadiness(object(4, 3, { status: 'True', observedGeneration: 3 }));
    expect(r.ready).toBe(false);
    expect(r.summary).toBe(
      "VPC default/demo: Ready=True is for an older generation (generation 4, status.observedGeneration 3, Ready's 3): the change is not reconciled yet",
    );
  });

  it("is not ready when only the Ready condition's observedGeneration lags", () => {
    expect(currentReadiness(object(4, 4, { status: 'True', observedGeneration: 3 })).ready).toBe(
      false,
    );
  });

  it('is not ready, with the reason, when Ready is False', () => {
    const r = currentReadiness(
      object(1, 1, { status: 'False', observedGeneration: 1, reason: 'SubnetNotFound' }),
    );
    expect(r).toEqual({
      ready: false,
      summary: 'VPC default/demo: Ready=False SubnetNotFound',
    });
  });

  it('is not ready without a Ready condition or without a generation', () => {
    expect(currentReadiness(object(1, undefined, undefined)).summary).toMatch(/no Ready condition/);
    expect(currentReadiness({ kind: 'VPC', metadata: { name: 'x' } }).summary).toMatch(
      /no metadata.generation/,
    );
  });
});
