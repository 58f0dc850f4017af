import { describe, expect, it } from '@jest/globals';
import { addFinalizerPatch, meteringFinalizerPolicy } from './admission-policy.ts';
import { meteredKinds } from './dimensions.ts';
import { meteringFinalizer } from './metering-controller.ts';

interface Rule {
  apiGroups: string[];
  apiVersions: string[];
  operations: string[];
  resources: string[];
  scope: string;
}
interface Policy {
  kind: string;
  metadata: { name: string };
  spec: {
    failurePolicy: string;
    matchConstraints: { matchPolicy: string; resourceRules: Rule[] };
    reinvocationPolicy: string;
    mutations: { patchType: string; jsonPatch: { expression: string } }[];
  };
}
interface Binding {
  kind: string;
  metadata: { name: string };
  spec: { policyName: string; matchResources?: unknown };
}

const objects = (namespaces?: string[]) => {
  const [policy, binding, ...rest] = meteringFinalizerPolicy({
    name: 'kcloud-metering',
    ...(namespaces ? { namespaces } : {}),
  }) as [Policy, Binding, ...unknown[]];
  expect(rest).toEqual([]);
  return { policy, binding };
};

describe('the metering finalizer policy', () => {
  it('matches the creates of exactly the metered kinds, in every version and namespace', () => {
    const { policy } = objects();
    expect(policy.kind).toBe('MutatingAdmissionPolicy');
    const rules = policy.spec.matchConstraints.resourceRules;
    for (const r of rules) {
      expect(r.operations).toEqual(['CREATE']);
      expect(r.apiVersions).toEqual(['*']);
      expect(r.scope).toBe('Namespaced');
    }
    const matched = rules.flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.map((p) => `${p}.${g}`)),
    );
    expect(matched.sort()).toEqual(
      meteredKinds.map((k) => `${k.resource.plural}.${k.resource.group}`).sort(),
    );
    expect(matched.sort()).toEqual([
      'eips.eip.kcloud.io',
      'instances.ecs.kcloud.io',
      'volumes.evs.kcloud.io',
    ]);
    expect(policy.spec.matchConstraints.matchPolicy).toBe('Equivalent');
  });

  it('adds the finalizer next to the ones given, once, and refuses a create it cannot patch', () => {
    const { policy } = objects();
    expect(policy.spec.failurePolicy).toBe('Fail');
    expect(policy.spec.reinvocationPolicy).toBe('IfNeeded');
    expect(policy.spec.mutations).toEqual([
      { patchType: 'JSONPatch', jsonPatch: { expression: addFinalizerPatch } },
    ]);
    const f = JSON.stringify(meteringFinalizer);
    expect(addFinalizerPatch).toBe(
      `has(object.metadata.finalizers) ? (${f} in object.metadata.finalizers ? [] : ` +
        `[JSONPatch{op: "add", path: "/metadata/finalizers/-", value: ${f}}]) : ` +
        `[JSONPatch{op: "add", path: "/metadata/finalizers", value: [${f}]}]`,
    );
    expect(f).toBe('"platform.kcloud.io/metering"');
  });

  it('is bound in every namespace, or in the ones given by their name label', () => {
    const all = objects().binding;
    expect(all).toMatchObject({
      kind: 'MutatingAdmissionPolicyBinding',
      metadata: { name: 'kcloud-metering' },
      spec: { policyName: 'kcloud-metering' },
    });
    expect(all.spec.matchResources).toBeUndefined();
    expect(objects(['a', 'b']).binding.spec.matchResources).toEqual({
      namespaceSelector: {
        matchExpressions: [
          { key: 'kubernetes.io/metadata.name', operator: 'In', values: ['a', 'b'] },
        ],
      },
    });
  });
});
