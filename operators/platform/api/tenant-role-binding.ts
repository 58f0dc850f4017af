// TenantRoleBinding: access to a tenant. A binding on a tenant grants its role in every project
// of the tenant and of the tenants below it — and in no other namespace — as RoleBindings kcloud
// keeps in those namespaces, following projects as they come, go or change tenant.
import Type from 'typebox';
import {
  StandardStatus,
  StringEnum,
  defineKind,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';

/** The roles a tenant grants, each a ClusterRole `kcloud-tenant-<role>` the chart installs. */
export const tenantRoles = ['admin', 'member', 'viewer', 'auditor'] as const;
export type TenantRole = (typeof tenantRoles)[number];

export const TenantRoleBinding = defineKind({
  group: 'platform.kcloud.io',
  version: 'v1alpha1',
  kind: 'TenantRoleBinding',
  plural: 'tenantrolebindings',
  shortNames: ['trb'],
  scope: 'Cluster',
  description:
    "TenantRoleBinding grants users, groups or service accounts a role in a tenant: in every project (namespace) of the tenant and of its sub-tenants, and nowhere else. admin: everything in the projects, access to them included; member: create, change and delete the cloud's resources and Secrets; viewer: read the cloud's resources, not Secrets; auditor: read the cloud's resources, not Secrets, change nothing. Every role may also read the cluster's catalog (Flavors, Images' pools, VolumeTypes, EIPPools).",
  spec: Type.Object(
    {
      tenantRef: Type.Object(
        {
          name: Type.String({ description: 'Name of the Tenant.', minLength: 1, maxLength: 253 }),
        },
        {
          description: 'The Tenant whose projects the role applies in.',
          'x-kubernetes-map-type': 'atomic',
        },
      ),
      role: StringEnum(tenantRoles, { description: 'admin, member, viewer or auditor.' }),
      subjects: Type.Array(
        Type.Object(
          {
            kind: StringEnum(['User', 'Group', 'ServiceAccount'], {
              description: 'User, Group or ServiceAccount.',
            }),
            name: Type.String({
              description: 'The user, group or service account.',
              minLength: 1,
              maxLength: 253,
            }),
            namespace: Type.Optional(
              Type.String({
                description: "The service account's namespace; only for a ServiceAccount.",
                minLength: 1,
                maxLength: 63,
              }),
            ),
          },
          {
            description: 'Who is granted the role.',
            'x-kubernetes-validations': [
              {
                rule: "(self.kind == 'ServiceAccount') == has(self.namespace)",
                message: 'namespace is given for a ServiceAccount, and only for one',
              },
            ],
          },
        ),
        { description: 'Who is granted the role.', minItems: 1, maxItems: 100 },
      ),
    },
    { description: 'TenantRoleBindingSpec: a tenant, a role, and who has it there.' },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      namespaces: Type.Optional(
        Type.Array(Type.String(), {
          description: 'The projects (namespaces) the role is granted in now.',
        }),
      ),
    },
    { description: 'TenantRoleBindingStatus says where the role is granted.' },
  ),
  printerColumns: [
    {
      name: 'Tenant',
      type: 'string',
      jsonPath: '.spec.tenantRef.name',
      description: 'The Tenant.',
    },
    { name: 'Role', type: 'string', jsonPath: '.spec.role', description: 'The role.' },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type TenantRoleBindingSpec = SpecOf<typeof TenantRoleBinding>;
export type TenantRoleBindingStatus = StatusOf<typeof TenantRoleBinding>;
export type TenantRoleBindingObject = ObjectOf<typeof TenantRoleBinding>;
