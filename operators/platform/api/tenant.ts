// Tenant: a department or customer. Tenants nest to any depth through parentRef; a tenant owns
// projects (namespaces) and its status sums what they and its sub-tenants use.
import Type from 'typebox';
import {
  StandardStatus,
  defineKind,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';
import { ResourceList } from './resource-list.ts';

export const Tenant = defineKind({
  group: 'platform.kcloud.io',
  version: 'v1alpha1',
  kind: 'Tenant',
  plural: 'tenants',
  shortNames: ['tenant'],
  scope: 'Cluster',
  description:
    'Tenant is a department or a customer of the cloud. Tenants nest (parentRef) as deep as the organisation is; a tenant owns projects, namespaces labelled platform.kcloud.io/tenant=<tenant>. Its status lists its projects and its usage and limits in every dimension, summed over its projects and sub-tenants.',
  spec: Type.Object(
    {
      parentRef: Type.Optional(
        Type.Object(
          {
            name: Type.String({
              description: 'Name of the parent Tenant.',
              minLength: 1,
              maxLength: 253,
            }),
          },
          {
            description:
              'The Tenant this one belongs to; omitted for a top-level tenant. A parent that does not exist, or a chain that leads back to this tenant, makes the tenant Ready=False (ParentNotFound, TenantCycle).',
            'x-kubernetes-map-type': 'atomic',
          },
        ),
      ),
      displayName: Type.Optional(
        Type.String({ description: 'A human-readable name, such as Finance.', maxLength: 256 }),
      ),
    },
    { description: 'TenantSpec says where the tenant sits in the tree.' },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      path: Type.Optional(
        Type.Array(Type.String({ description: 'A Tenant name.' }), {
          description: 'The tenants from the root down to this one.',
        }),
      ),
      projects: Type.Optional(
        Type.Array(Type.String({ description: 'A namespace.' }), {
          description: "The tenant's own projects (namespaces), sub-tenants' not included.",
        }),
      ),
      usage: Type.Optional(
        ResourceList('What the projects of this tenant and of all its sub-tenants use.'),
      ),
      limits: Type.Optional(
        ResourceList(
          'The tightest limit per dimension on the path from this tenant to the root (its own Quotas and its ancestors’); absent: unlimited.',
        ),
      ),
    },
    { description: 'TenantStatus is where the tenant stands: its projects, usage and limits.' },
  ),
  specValidations: [
    {
      rule: '!has(self.parentRef) == !has(oldSelf.parentRef) && (!has(self.parentRef) || self.parentRef == oldSelf.parentRef)',
      message: 'parentRef is immutable: a tenant cannot move to another parent',
    },
  ],
  printerColumns: [
    {
      name: 'Parent',
      type: 'string',
      jsonPath: '.spec.parentRef.name',
      description: 'The parent Tenant.',
    },
    {
      name: 'Instances',
      type: 'integer',
      jsonPath: '.status.usage.instances',
      description: 'Instances used in the subtree.',
    },
    {
      name: 'vCPU',
      type: 'integer',
      jsonPath: '.status.usage.vcpu',
      description: 'vCPUs used in the subtree.',
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type TenantSpec = SpecOf<typeof Tenant>;
export type TenantStatus = StatusOf<typeof Tenant>;
export type TenantObject = ObjectOf<typeof Tenant>;
