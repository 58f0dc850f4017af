import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '../cluster/index.ts';
import { rbacEntries, renderRbacTable } from './rbac.ts';

describe('RBAC of kcloud-manager', () => {
  it('is documented in docs/rbac.md exactly as the code asks for it', () => {
    const doc = readFileSync(path.join(repoRoot, 'docs/rbac.md'), 'utf8');
    const table = /<!-- prettier-ignore-start -->\n([\s\S]*?)\n<!-- prettier-ignore-end -->/.exec(
      doc,
    )?.[1];
    expect(table).toBeDefined();
    // On failure: node hack/generate/rbac.ts prints the table to paste into docs/rbac.md.
    expect(table).toBe(renderRbacTable());
  });

  it('never asks for secrets (but the agent’s pool keys, ECS’s password copies and the quota webhook’s certificate), deletion, wildcards or RBAC objects (but the tenant roles’ bindings)', () => {
    for (const entry of rbacEntries()) {
      for (const rule of entry.rules) {
        // One exception: the agent reads (get, never list) Secrets in the hosts namespace, where
        // what every host needs to reach a storage pool (an RBD cephx key) is kept.
        const hostsNamespaceKeys =
          entry.scope.startsWith('Role in the hosts namespace') &&
          JSON.stringify(rule) ===
            JSON.stringify({ apiGroups: [''], resources: ['secrets'], verbs: ['get'] });
        // And ECS reads the Secret a reset-password operation names (get, never list) and
        // copies the password to the hosts namespace for the agent of the operation's host,
        // deleting the copy once the operation has ended.
        const resetPassword =
          entry.component === 'operator ecs' &&
          JSON.stringify(rule) ===
            JSON.stringify({
              apiGroups: [''],
              resources: ['secrets'],
              verbs: ['get', 'create', 'delete'],
            });
        // And the platform keeps its quota webhook's CA and serving certificate in a Secret it
        // makes and renews (get, never list; no delete).
        const webhookCertificate =
          entry.component === 'operator platform' &&
          JSON.stringify(rule) ===
            JSON.stringify({
              apiGroups: [''],
              resources: ['secrets'],
              verbs: ['get', 'create', 'update'],
            });
        if (!hostsNamespaceKeys && !resetPassword && !webhookCertificate)
          expect(rule.resources).not.toContain('secrets');
        // And one delete: ECS detaches a disk by deleting the VolumeAttachment it made for it.
        const detach =
          entry.component === 'operator ecs' &&
          JSON.stringify(rule.resources) === JSON.stringify(['volumeattachments']);
        expect(rule.resources).not.toContain('*');
        expect(rule.verbs).not.toContain('*');
        // And tenant access, whose work is granting the tenant roles: it makes and removes
        // the RoleBindings (and the catalog's ClusterRoleBinding) of TenantRoleBindings, and
        // may bind exactly the tenant roles, no other ClusterRole (RBAC's escalation check).
        const tenantAccess =
          entry.component === 'operator tenant-access' &&
          rule.apiGroups.join() === 'rbac.authorization.k8s.io' &&
          (JSON.stringify(rule) ===
            JSON.stringify({
              apiGroups: ['rbac.authorization.k8s.io'],
              resources: ['rolebindings', 'clusterrolebindings'],
              verbs: ['get', 'list', 'watch', 'create', 'delete'],
            }) ||
            JSON.stringify(rule) ===
              JSON.stringify({
                apiGroups: ['rbac.authorization.k8s.io'],
                resources: ['clusterroles'],
                verbs: ['bind'],
                resourceNames: [
                  'kcloud-tenant-admin',
                  'kcloud-tenant-member',
                  'kcloud-tenant-viewer',
                  'kcloud-tenant-auditor',
                  'kcloud-tenant-catalog',
                ],
              }));
        if (!detach && !resetPassword && !tenantAccess) expect(rule.verbs).not.toContain('delete');
        if (!tenantAccess) expect(rule.apiGroups).not.toContain('rbac.authorization.k8s.io');
      }
    }
  });
});
