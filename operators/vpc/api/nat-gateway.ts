// NATGateway: a VPC's way out to, and in from, an external network through EIPs bound to it.
// SNAT rules let whole Subnets (or ranges) reach out with an EIP as their source; DNAT rules
// forward an EIP's port to an address and port inside the VPC.
import Type from 'typebox';
import {
  Immutable,
  LocalObjectReference,
  StandardStatus,
  StringEnum,
  defineKind,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';
import { AnyIPv4CIDR, IPv4Address } from './network-schema.ts';

const RuleName = () =>
  Type.String({
    description: 'A name for the rule, unique among the rules of its list.',
    pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
  });

const Port = (description: string) => Type.Integer({ description, minimum: 1, maximum: 65535 });

const EipRef = (description: string) => LocalObjectReference('EIP', description);

const SnatRule = Type.Object(
  {
    name: RuleName(),
    subnetRef: Type.Optional(
      LocalObjectReference(
        'Subnet',
        'A Subnet of the VPC: every address of its range goes out from the EIP.',
      ),
    ),
    cidr: Type.Optional(
      AnyIPv4CIDR(
        'A range inside the VPC whose traffic goes out from the EIP, e.g. 10.0.1.0/24 or one host as 10.0.1.5/32.',
      ),
    ),
    eipRef: EipRef(
      'The EIP the traffic leaves from. It must be bound to this NATGateway (its spec.binding.natGatewayRef).',
    ),
  },
  {
    description:
      'One SNAT rule: traffic from a Subnet or a range of the VPC to outside the VPC leaves with the EIP as its source address.',
    'x-kubernetes-validations': [
      {
        rule: 'has(self.subnetRef) != has(self.cidr)',
        message: 'set exactly one of subnetRef and cidr',
      },
    ],
  },
);

const DnatRule = Type.Object(
  {
    name: RuleName(),
    eipRef: EipRef(
      'The EIP whose port is forwarded. It must be bound to this NATGateway (its spec.binding.natGatewayRef).',
    ),
    protocol: StringEnum(['TCP', 'UDP'] as const, {
      description: 'The protocol forwarded: TCP or UDP.',
    }),
    externalPort: Port('The port of the EIP that is forwarded, 1 to 65535.'),
    internalIP: IPv4Address('The address inside the VPC the traffic is forwarded to.'),
    internalPort: Port('The port at internalIP the traffic is forwarded to, 1 to 65535.'),
  },
  {
    description:
      'One DNAT rule (a port forward): traffic to the EIP at externalPort reaches internalIP at internalPort, and its replies leave from the EIP.',
  },
);

export const NATGateway = defineKind({
  group: 'vpc.kcloud.io',
  version: 'v1alpha1',
  kind: 'NATGateway',
  plural: 'natgateways',
  shortNames: ['natgw'],
  scope: 'Namespaced',
  description:
    'NATGateway connects a VPC to an external network through the EIPs bound to it: SNAT rules let Subnets or ranges of the VPC reach out with an EIP as their source, DNAT rules forward ports of an EIP to addresses inside the VPC. Rule changes apply at once.',
  spec: Type.Object(
    {
      vpcRef: Immutable(
        LocalObjectReference('VPC', 'The VPC whose router translates. It cannot be changed.'),
        'vpcRef is immutable',
      ),
      snatRules: Type.Optional(
        Type.Array(SnatRule, {
          description:
            'The SNAT rules. A Subnet or range in none of them does not reach out through the NATGateway.',
          maxItems: 50,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        }),
      ),
      dnatRules: Type.Optional(
        Type.Array(DnatRule, {
          description:
            'The DNAT rules (port forwards). An EIP port and protocol is forwarded by one rule only.',
          maxItems: 100,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          'x-kubernetes-validations': [
            {
              rule: 'self.all(a, self.exists_one(b, b.eipRef.name == a.eipRef.name && b.protocol == a.protocol && b.externalPort == a.externalPort))',
              message: 'two DNAT rules forward the same EIP, protocol and externalPort',
            },
          ],
        }),
      ),
    },
    { description: 'NATGatewaySpec is the desired state of a NATGateway.' },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      routerName: Type.Optional(
        Type.String({
          description: 'Name of the OVN logical router holding the NAT rows (the VPC router).',
        }),
      ),
      snatRules: Type.Optional(
        Type.Integer({
          description: 'Number of SNAT rules in the network, as last reconciled.',
          minimum: 0,
          maximum: 50,
        }),
      ),
      dnatRules: Type.Optional(
        Type.Integer({
          description: 'Number of DNAT rules in the network, as last reconciled.',
          minimum: 0,
          maximum: 100,
        }),
      ),
    },
    { description: 'NATGatewayStatus is the observed state of a NATGateway.' },
  ),
  printerColumns: [
    { name: 'VPC', type: 'string', jsonPath: '.spec.vpcRef.name', description: 'The VPC.' },
    {
      name: 'SNAT',
      type: 'integer',
      jsonPath: '.status.snatRules',
      description: 'SNAT rules in the network.',
    },
    {
      name: 'DNAT',
      type: 'integer',
      jsonPath: '.status.dnatRules',
      description: 'DNAT rules in the network.',
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type NATGatewaySpec = SpecOf<typeof NATGateway>;
export type NATGatewayStatus = StatusOf<typeof NATGateway>;
export type NATGatewayObject = ObjectOf<typeof NATGateway>;
export type SnatRule = NonNullable<NATGatewaySpec['snatRules']>[number];
export type DnatRule = NonNullable<NATGatewaySpec['dnatRules']>[number];
