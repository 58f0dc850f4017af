// VPCPeering: routing between two VPCs, possibly of two tenants (namespaces). Each side states
// the peering in its own namespace, so that each tenant's Git holds its own half: in one
// namespace one object is enough; across namespaces the peering is active once the other
// namespace holds a VPCPeering naming this one back, and either side withdraws it by deleting
// its object.
import Type from 'typebox';
import {
  Immutable,
  LocalObjectReference,
  Phase,
  StandardStatus,
  defineKind,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';

const PeerVPC = Type.Object(
  {
    name: Type.String({ description: 'Name of the peer VPC.', minLength: 1, maxLength: 253 }),
    namespace: Type.Optional(
      Type.String({
        description:
          "Namespace of the peer VPC; left out, the VPCPeering's own. In another namespace, the peering waits until that namespace holds a VPCPeering naming this one's VPC back (its acceptance).",
        minLength: 1,
        maxLength: 63,
      }),
    ),
  },
  {
    description: 'The VPC at the other end of the peering. It cannot be changed.',
    'x-kubernetes-map-type': 'atomic',
  },
);

export const VPCPeering = defineKind({
  group: 'vpc.kcloud.io',
  version: 'v1alpha1',
  kind: 'VPCPeering',
  plural: 'vpcpeerings',
  shortNames: ['peering'],
  scope: 'Namespaced',
  description:
    "VPCPeering routes traffic between two VPCs whose ranges do not overlap: each VPC's router gets a route to the other VPC's ranges. It opens routing only; SecurityGroups and NetworkACLs still decide what gets in. A peer VPC in another namespace must accept with a VPCPeering of its own naming this VPC; deleting either object withdraws the peering.",
  spec: Type.Object(
    {
      vpcRef: Immutable(
        LocalObjectReference('VPC', 'This side of the peering. It cannot be changed.'),
        'vpcRef is immutable',
      ),
      peerVPC: Immutable(PeerVPC, 'peerVPC is immutable'),
    },
    {
      description: 'VPCPeeringSpec is the desired state of a VPCPeering.',
      'x-kubernetes-validations': [
        {
          rule: 'has(self.peerVPC.namespace) || self.peerVPC.name != self.vpcRef.name',
          message: 'a VPC cannot be peered with itself: peerVPC names vpcRef',
        },
      ],
    },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      phase: Type.Optional(
        Phase([
          'Pending',
          'PendingAcceptance',
          'Provisioning',
          'Active',
          'Failed',
          'Deleting',
          'Unknown',
        ]),
      ),
      acceptedBy: Type.Optional(
        Type.String({
          description:
            "The peer namespace's VPCPeering naming this one back (namespace/name), when there is one.",
          maxLength: 320,
        }),
      ),
      linkCIDR: Type.Optional(
        Type.String({
          description:
            'The link between the two VPC routers: a /30 from 169.254.0.0/18, one address on each router.',
          maxLength: 18,
        }),
      ),
      routes: Type.Optional(
        Type.Array(
          Type.Object(
            {
              vpc: Type.String({
                description: 'The VPC (namespace/name) whose router holds the route.',
                maxLength: 320,
              }),
              destination: Type.String({
                description: "A range of the other VPC's.",
                maxLength: 18,
              }),
              nextHop: Type.String({
                description: "The other router's link address.",
                maxLength: 15,
              }),
            },
            { description: 'A route the peering installed.' },
          ),
          {
            description: 'The routes installed on both VPC routers for the peering.',
            maxItems: 10,
          },
        ),
      ),
    },
    { description: 'VPCPeeringStatus is the observed state of a VPCPeering.' },
  ),
  printerColumns: [
    { name: 'VPC', type: 'string', jsonPath: '.spec.vpcRef.name', description: 'This side.' },
    {
      name: 'Peer-Namespace',
      type: 'string',
      jsonPath: '.spec.peerVPC.namespace',
      description: 'The namespace of the peer VPC (empty: this one).',
    },
    {
      name: 'Peer-VPC',
      type: 'string',
      jsonPath: '.spec.peerVPC.name',
      description: 'The peer VPC.',
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type VPCPeeringSpec = SpecOf<typeof VPCPeering>;
export type VPCPeeringStatus = StatusOf<typeof VPCPeering>;
export type VPCPeeringObject = ObjectOf<typeof VPCPeering>;
