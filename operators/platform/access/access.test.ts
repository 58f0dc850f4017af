import { describe, expect, it } from '@jest/globals';
import { productKinds } from '../../kinds.ts';
import type { TenantRoleBindingObject } from '../api/index.ts';
import { desiredBindings, sameGrant } from './desired-bindings.ts';
import { aggregateLabel, tenantClusterRoles } from './roles.ts';

const trb = (over: Partial<TenantRoleBindingObject['spec']> = {}) =>
  ({
    apiVersion: 'platform.kcloud.io/v1alpha1',
    kind: 'TenantRoleBinding',
    metadata: { name: 'fin-devs' },
    spec: {
      tenantRef: { name: 'fin' },
      role: 'member',
      subjects: [
        { kind: 'Group', name: 'fin-devs' },
        { kind: 'ServiceAccount', name: 'ci', namespace: 'fin-main' },
      ],
      ...over,
    },
  }) as TenantRoleBindingObject;

describe('tenant roles', () => {
  const roles = tenantClusterRoles(productKinds);
  const named = (n: string) => roles.find((r) => r.metadata.name === n);
  const granted = (role: string) =>
    roles.filter((r) => r.metadata.labels[aggregateLabel(role as 'admin')] === 'true');

  it('aggregates each role from labelled fragments', () => {
    for (const role of ['admin', 'member', 'viewer', 'auditor']) {
      expect(named(`kcloud-tenant-${role}`)?.aggregationRule?.clusterRoleSelectors).toEqual([
        { matchLabels: { [aggregateLabel(role as 'admin')]: 'true' } },
      ]);
    }
  });

  it('lets viewers and auditors read the namespaced kinds and never Secrets, members write', () => {
    const rulesOf = (role: string) => granted(role).flatMap((r) => r.rules);
    for (const role of ['viewer', 'auditor']) {
      const rules = rulesOf(role);
      expect(rules.some((r) => r.resources.includes('secrets'))).toBe(false);
      expect(rules.every((r) => r.verbs.every((v) => ['get', 'list', 'watch'].includes(v)))).toBe(
        true,
      );
      expect(rules.some((r) => r.resources.includes('instances'))).toBe(true);
    }
    const member = rulesOf('member');
    expect(member.some((r) => r.resources.includes('secrets') && r.verbs.includes('create'))).toBe(
      true,
    );
    expect(member.some((r) => r.resources.includes('rolebindings'))).toBe(false);
    expect(rulesOf('admin').some((r) => r.resources.includes('rolebindings'))).toBe(true);
    // Cluster-scoped kinds are never in a project role: hosts and pools stay the operator's.
    const all = roles.flatMap((r) => r.rules.flatMap((x) => x.resources));
    expect(all).not.toContain('hosts');
    expect(all).not.toContain('storagepools');
    expect(
      named('kcloud-tenant-catalog')
        ?.rules.flatMap((r) => r.resources)
        .sort(),
    ).toEqual(['eippools', 'flavors', 'volumetypes']);
  });
});

describe('desiredBindings', () => {
  it('binds the role in each project, and the catalog cluster-wide, labelled with the binding', () => {
    const want = desiredBindings(trb(), ['fin-web', 'fin-main']);
    expect(want.map((b) => `${b.kind} ${b.metadata.namespace ?? '-'} ${b.roleRef.name}`)).toEqual([
      'RoleBinding fin-main kcloud-tenant-member',
      'RoleBinding fin-web kcloud-tenant-member',
      'ClusterRoleBinding - kcloud-tenant-catalog',
    ]);
    expect(new Set(want.map((b) => b.metadata.name))).toEqual(new Set(['kcloud-tenant-fin-devs']));
    expect(want[0]?.metadata.labels).toEqual({
      'platform.kcloud.io/tenant-role-binding': 'fin-devs',
    });
    expect(want[0]?.subjects).toEqual([
      { kind: 'Group', name: 'fin-devs', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'ServiceAccount', name: 'ci', namespace: 'fin-main' },
    ]);
  });

  it('sees a changed role or subject as another grant', () => {
    const [want] = desiredBindings(trb(), ['fin-main']);
    if (!want) throw new Error('no binding');
    expect(sameGrant({ roleRef: want.roleRef, subjects: [...want.subjects].reverse() }, want)).toBe(
      true,
    );
    const [viewer] = desiredBindings(trb({ role: 'viewer' }), ['fin-main']);
    if (!viewer) throw new Error('no binding');
    expect(sameGrant(viewer, want)).toBe(false);
    expect(sameGrant({ roleRef: want.roleRef, subjects: want.subjects.slice(1) }, want)).toBe(
      false,
    );
  });
});
