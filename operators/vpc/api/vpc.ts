// VPC: a tenant's private network, one OVN logical router.
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
import { IPv4Address, IPv4CIDR } from './network-schema.ts';

export const VPC = defineKind({
  group: 'vpc.kcloud.io',
  version: 'v1alpha1',
  kind: 'VPC',
  plural: 'vpcs',
  shortNames: ['vpc'],
  scope: 'Namespaced',
  description:
    'VPC is a private network of a tenant: an isolated address space that Subnets divide. Traffic does not flow between VPCs unless they are peered, even when their address ranges overlap.',
  spec: Type.Object(
    {
      cidrBlocks: Type.Array(
        IPv4CIDR(
          'An IPv4 range of the VPC, such as 10.0.0.0/16, with a prefix from /8 to /28. Every Subnet of the VPC lies inside one of these.',
          { min: 8, max: 28 },
        ),
        {
          description:
            'The IPv4 ranges of the VPC. Ranges can be added later; a range still used by a Subnet cannot be removed.',
          minItems: 1,
          maxItems: 5,
          'x-kubernetes-list-type': 'set',
        },
      ),
      dnsServers: Type.Optional(
        Type.Array(IPv4Address('A DNS server address handed to instances by DHCP.'), {
          description: 'DNS servers for the VPC, used by Subnets that set none of their own.',
          maxItems: 4,
        }),
      ),
    },
    { description: 'VPCSpec is the desired state of a VPC.' },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      routerName: Type.Optional(
        Type.String({ description: 'Name of the OVN logical router that implements the VPC.' }),
      ),
      cidrBlocks: Type.Optional(
        Type.Array(Type.String({ description: 'An IPv4 range in use.' }), {
          description: 'The ranges programmed in the network, as last reconciled.',
        }),
      ),
      subnets: Type.Optional(
        Type.Integer({
          description: 'Number of Subnets of the VPC, Ready or not.',
          minimum: 0,
          maximum: 100000,
        }),
      ),
      readySubnets: Type.Optional(
        Type.String({
          description:
            'Ready Subnets out of all Subnets of the VPC, e.g. 2/3: a Subnet that is not Ready carries no traffic.',
          maxLength: 13,
        }),
      ),
    },
    { description: 'VPCStatus is the observed state of a VPC.' },
  ),
  printerColumns: [
    {
      name: 'CIDRs',
      type: 'string',
      jsonPath: '.spec.cidrBlocks',
      description: 'The IPv4 ranges of the VPC.',
    },
    {
      name: 'Subnets',
      type: 'string',
      jsonPath: '.status.readySubnets',
      description: 'Ready Subnets out of all Subnets of the VPC.',
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type VPCSpec = SpecOf<typeof VPC>;
export type VPCStatus = StatusOf<typeof VPC>;
export type VPCObject = ObjectOf<typeof VPC>;
