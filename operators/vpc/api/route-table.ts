// RouteTable: static routes for the Subnets bound to it, on the VPC router.
import Type from 'typebox';
import {
  Immutable,
  LocalObjectReference,
  StandardStatus,
  defineKind,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';
import { AnyIPv4CIDR, IPv4Address } from './network-schema.ts';

const Route = Type.Object(
  {
    destination: AnyIPv4CIDR(
      'The destination the route applies to, e.g. 0.0.0.0/0 or 192.168.0.0/16.',
    ),
    nextHopIP: Type.Optional(
      IPv4Address('Send matching traffic to this address, which must be reachable in the VPC.'),
    ),
    nextHopInterfaceRef: Type.Optional(
      LocalObjectReference(
        'NetworkInterface',
        'Send matching traffic to this NetworkInterface (an appliance such as a firewall).',
      ),
    ),
    blackhole: Type.Optional(Type.Boolean({ description: 'Drop matching traffic.' })),
  },
  {
    description: 'One static route: a destination and exactly one next hop.',
    'x-kubernetes-validations': [
      {
        rule: '[has(self.nextHopIP), has(self.nextHopInterfaceRef), has(self.blackhole) && self.blackhole].filter(x, x).size() == 1',
        message: 'set exactly one of nextHopIP, nextHopInterfaceRef and blackhole: true',
      },
    ],
  },
);

export const RouteTable = defineKind({
  group: 'vpc.kcloud.io',
  version: 'v1alpha1',
  kind: 'RouteTable',
  plural: 'routetables',
  shortNames: ['rtb'],
  scope: 'Namespaced',
  description:
    "RouteTable holds static routes for the Subnets bound to it: traffic from those Subnets to a destination goes to the route's next hop, or is dropped for a blackhole route. The most specific route wins.",
  spec: Type.Object(
    {
      vpcRef: Immutable(
        LocalObjectReference(
          'VPC',
          'The VPC whose router carries the routes. It cannot be changed.',
        ),
        'vpcRef is immutable',
      ),
      subnetRefs: Type.Optional(
        Type.Array(LocalObjectReference('Subnet', 'A Subnet of the VPC that uses these routes.'), {
          description:
            "The Subnets bound to the table; a Subnet can be bound to only one RouteTable. Left out or empty, the table is the VPC's main table: it applies to every Subnet of the VPC bound to no other RouteTable.",
          maxItems: 50,
        }),
      ),
      routes: Type.Array(Route, {
        description: 'The routes.',
        maxItems: 100,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['destination'],
      }),
    },
    { description: 'RouteTableSpec is the desired state of a RouteTable.' },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      routeTableName: Type.Optional(
        Type.String({
          description:
            "Name of the OVN route table holding the routes (Logical_Router_Static_Route's route_table).",
        }),
      ),
      subnets: Type.Optional(
        Type.Array(Type.String(), {
          description:
            'The Subnets the routes apply to: those in subnetRefs, or for the main table (no subnetRefs) every Subnet of the VPC bound to no other RouteTable.',
          maxItems: 1000,
        }),
      ),
    },
    { description: 'RouteTableStatus is the observed state of a RouteTable.' },
  ),
  printerColumns: [
    { name: 'VPC', type: 'string', jsonPath: '.spec.vpcRef.name', description: 'The VPC.' },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type RouteTableSpec = SpecOf<typeof RouteTable>;
export type RouteTableStatus = StatusOf<typeof RouteTable>;
export type RouteTableObject = ObjectOf<typeof RouteTable>;
