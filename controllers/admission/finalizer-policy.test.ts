import { describe, expect, it } from '@jest/globals';
import { addFinalizerPatch, finalizerPolicy } from './finalizer-policy.ts';

const finalizer = {
  finalizer: 'a.example.com/cleanup',
  resources: [
    { group: 'a.example.com', plural: 'widgets' },
    { group: 'b.example.com', plural: 'gadgets' },
    { group: 'a.example.com', plural: 'gizmos' },
  ],
};

describe('a finalizer policy', () => {
  it('matches the creates of its kinds, one rule per API group, and adds its own finalizer', () => {
    const [policy, binding] = finalizerPolicy(finalizer, { name: 'p' }) as [
      {
        spec: {
          matchConstraints: { resourceRules: { apiGroups: string[]; resources: string[] }[] };
          mutations: { jsonPatch: { expression: string } }[];
        };
      },
      { spec: { policyName: string; matchResources?: unknown } },
    ];
    expect(
      policy.spec.matchConstraints.resourceRules.map((r) => [r.apiGroups, r.resources]),
    ).toEqual([
      [['a.example.com'], ['widgets', 'gizmos']],
      [['b.example.com'], ['gadgets']],
    ]);
    expect(policy.spec.mutations[0]?.jsonPatch.expression).toBe(
      addFinalizerPatch('a.example.com/cleanup'),
    );
    expect(addFinalizerPatch('a.example.com/cleanup')).toContain('"a.example.com/cleanup" in');
    expect(binding.spec).toEqual({ policyName: 'p' });
  });
});
