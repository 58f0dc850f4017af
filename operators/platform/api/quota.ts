// Quota: hard limits per dimension on a tenant (its whole subtree) or on one project. Its status
// is also the usage record admission reserves on, with optimistic concurrency.
import Type from 'typebox';
import {
  Int64,
  StandardStatus,
  defineKind,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';
import { ResourceList } from './resource-list.ts';

const NameRef = (kind: string, description: string) =>
  Type.Object(
    { name: Type.String({ description: `Name of the ${kind}.`, minLength: 1, maxLength: 253 }) },
    { description, 'x-kubernetes-map-type': 'atomic' },
  );

const NameList = (what: string, description: string) =>
  Type.Array(Type.String({ description: `Name of a ${what}.`, minLength: 1, maxLength: 253 }), {
    description,
    maxItems: 64,
    'x-kubernetes-list-type': 'set',
  });

export const Quota = defineKind({
  group: 'platform.kcloud.io',
  version: 'v1alpha1',
  kind: 'Quota',
  plural: 'quotas',
  shortNames: ['quota'],
  scope: 'Cluster',
  description:
    'Quota sets hard limits on what a tenant (with all its projects and sub-tenants) or one project may use: instances, vCPUs, memory, volumes, snapshots, storage per VolumeType, VPCs, Subnets, SecurityGroups, EIPs and LoadBalancers. A dimension left out is unlimited. It may also hold its scope to some StoragePools and host groups. Creates and resizes that would exceed any Quota on the path to the root tenant are refused by admission. A limit below current usage is accepted: nothing is deleted, new creates are refused until usage falls below it.',
  spec: Type.Object(
    {
      tenantRef: Type.Optional(
        NameRef('Tenant', 'The Tenant limited: its projects and all its sub-tenants together.'),
      ),
      projectRef: Type.Optional(NameRef('project', 'The project (namespace) limited.')),
      hard: ResourceList(
        'The limits. A child’s limits must fit in what its parent has left (else Ready=False, ExceedsParent); admission enforces every level anyway.',
      ),
      storagePools: Type.Optional(
        NameList(
          'StoragePool',
          'The StoragePools volumes may be made in (through their VolumeType). Absent: any. A child’s list must be within its parent’s (else Ready=False, PlacementOutsideParent).',
        ),
      ),
      hostGroups: Type.Optional(
        NameList(
          'host group',
          'The host groups instances may run in: each instance must name one in spec.placement.hostGroup. Absent: any. A child’s list must be within its parent’s.',
        ),
      ),
    },
    { description: 'QuotaSpec is what is limited and how far.' },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      used: Type.Optional(
        ResourceList('What is in use, with creates admitted but not yet stored counted in.'),
      ),
      reservations: Type.Optional(
        Type.Array(
          Type.Object(
            {
              object: Type.String({
                description: 'The object as group/kind/namespace/name.',
                maxLength: 600,
              }),
              usage: Type.Record(
                Type.String(),
                Int64({ description: 'Units (bytes for memory and storage).', minimum: 0 }),
                { description: 'What the object counts as once stored, by dimension.' },
              ),
              at: Type.String({
                description: 'When admission reserved it (RFC 3339).',
                format: 'date-time',
              }),
            },
            {
              description:
                'A create, resize or delete admitted but not yet seen stored. It counts instead of the stored object until the object is seen as admitted (a delete: gone or being deleted), or for 30 seconds (a request that then failed).',
            },
          ),
          {
            description: 'Admitted changes not yet seen by the controller.',
            maxItems: 10000,
          },
        ),
      ),
    },
    { description: 'QuotaStatus is the usage record of the Quota.' },
  ),
  specValidations: [
    {
      rule: 'has(self.tenantRef) != has(self.projectRef)',
      message: 'a Quota limits exactly one of tenantRef or projectRef',
    },
    {
      rule: 'has(self.tenantRef) == has(oldSelf.tenantRef) && (!has(self.tenantRef) || self.tenantRef == oldSelf.tenantRef) && (!has(self.projectRef) || self.projectRef == oldSelf.projectRef)',
      message: 'tenantRef and projectRef are immutable: create another Quota',
    },
  ],
  printerColumns: [
    {
      name: 'Tenant',
      type: 'string',
      jsonPath: '.spec.tenantRef.name',
      description: 'The Tenant limited.',
    },
    {
      name: 'Project',
      type: 'string',
      jsonPath: '.spec.projectRef.name',
      description: 'The project limited.',
    },
    {
      name: 'Instances',
      type: 'string',
      jsonPath: '.status.used.instances',
      description: 'Instances in use.',
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type QuotaSpec = SpecOf<typeof Quota>;
export type QuotaStatus = StatusOf<typeof Quota>;
export type QuotaObject = ObjectOf<typeof Quota>;
export type ResourceListValue = QuotaSpec['hard'];
export type Reservation = NonNullable<QuotaStatus['reservations']>[number];
