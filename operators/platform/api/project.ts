// Project: a namespace of a tenant. The Project object makes and owns the namespace; labelling
// an existing namespace with platform.kcloud.io/tenant makes it a project as well.
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

/** The label that makes a namespace a project of a tenant. */
export const tenantLabel = 'platform.kcloud.io/tenant';

export const Project = defineKind({
  group: 'platform.kcloud.io',
  version: 'v1alpha1',
  kind: 'Project',
  plural: 'projects',
  shortNames: ['project'],
  scope: 'Cluster',
  description:
    'Project is a namespace of a tenant, of the same name: kcloud creates it labelled platform.kcloud.io/tenant=<tenant> and deletes it with the Project. Labelling an existing namespace makes it a project too, without a Project object.',
  spec: Type.Object(
    {
      tenantRef: Type.Object(
        {
          name: Type.String({ description: 'Name of the Tenant.', minLength: 1, maxLength: 253 }),
        },
        {
          description:
            'The Tenant the project belongs to. It cannot be changed: a project does not move between tenants (its usage is counted against the old tenant’s quotas).',
          'x-kubernetes-map-type': 'atomic',
          'x-kubernetes-validations': [
            {
              rule: 'self == oldSelf',
              message: 'tenantRef is immutable: a project cannot move to another tenant',
            },
          ],
        },
      ),
    },
    { description: 'ProjectSpec names the tenant.' },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      namespace: Type.Optional(
        Type.String({ description: 'The namespace of the project, once it exists.' }),
      ),
    },
    { description: 'ProjectStatus says whether the namespace exists for the tenant.' },
  ),
  printerColumns: [
    {
      name: 'Tenant',
      type: 'string',
      jsonPath: '.spec.tenantRef.name',
      description: 'The Tenant.',
    },
    {
      name: 'Namespace',
      type: 'string',
      jsonPath: '.status.namespace',
      description: 'The namespace.',
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type ProjectSpec = SpecOf<typeof Project>;
export type ProjectStatus = StatusOf<typeof Project>;
export type ProjectObject = ObjectOf<typeof Project>;
