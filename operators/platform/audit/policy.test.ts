import { describe, expect, it } from '@jest/globals';
import { auditPolicy, writeVerbs } from './policy.ts';

describe('auditPolicy', () => {
  const policy = auditPolicy(['vpc.kcloud.io', 'evs.kcloud.io', 'vpc.kcloud.io']);

  it('never logs a request or response body: Metadata at most', () => {
    expect(new Set(policy.rules.map((r) => r.level))).toEqual(new Set(['Metadata', 'None']));
  });

  it('logs any access to Secrets, reads included, before anything else decides', () => {
    expect(policy.rules[0]).toEqual({
      level: 'Metadata',
      resources: [{ group: '', resources: ['secrets'] }],
    });
  });

  it("leaves the operators' status writes out, and logs every other write to kcloud kinds", () => {
    const status = policy.rules.findIndex((r) =>
      r.resources?.some((g) => g.resources?.includes('*/status')),
    );
    const writes = policy.rules.findIndex(
      (r) => r.level === 'Metadata' && r.resources?.some((g) => g.group === 'vpc.kcloud.io'),
    );
    expect(status).toBeGreaterThan(0);
    expect(writes).toBeGreaterThan(status);
    expect(policy.rules[status]?.level).toBe('None');
    expect(policy.rules[writes]?.verbs).toEqual([...writeVerbs]);
    // Each group once, in a stable order: the generated file does not churn.
    expect(policy.rules[writes]?.resources).toEqual([
      { group: 'evs.kcloud.io' },
      { group: 'vpc.kcloud.io' },
    ]);
  });

  it('ends with a rule that logs nothing else', () => {
    expect(policy.rules.at(-1)).toEqual({ level: 'None' });
    expect(policy.omitStages).toEqual(['RequestReceived']);
  });

  it('refuses to build a policy without groups', () => {
    expect(() => auditPolicy([])).toThrow(/needs the kcloud API groups/);
  });
});
