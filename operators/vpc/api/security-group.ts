// SecurityGroup: stateful filtering for the NetworkInterfaces that name it; one OVN port group
// with its ACLs, so rules do not multiply by the number of interfaces.
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
import { AnyIPv4CIDR } from './network-schema.ts';
import { Action, Direction, Ports, Protocol, protocolRules } from './traffic-schema.ts';

const Rule = Type.Object(
  {
    name: Type.String({
      description: 'A name for the rule, unique in the group.',
      pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
    }),
    direction: Direction(),
    protocol: Protocol(),
    ports: Type.Optional(Ports()),
    remoteCIDR: Type.Optional(
      AnyIPv4CIDR('The peer addresses the rule matches, e.g. 0.0.0.0/0 for anywhere.'),
    ),
    remoteSecurityGroupRef: Type.Optional(
      LocalObjectReference(
        'SecurityGroup',
        'The peers the rule matches: every interface in this SecurityGroup.',
      ),
    ),
    action: Type.Optional(Action('Allow or Deny matching traffic. Default Allow.')),
    priority: Type.Optional(
      Type.Integer({
        description:
          'Where rules overlap, the higher priority wins; at equal priority Deny wins. 1 to 1000, default 100.',
        minimum: 1,
        maximum: 1000,
        default: 100,
      }),
    ),
  },
  {
    description: 'One rule of a SecurityGroup.',
    'x-kubernetes-validations': [
      ...protocolRules,
      {
        rule: 'has(self.remoteCIDR) != has(self.remoteSecurityGroupRef)',
        message: 'set exactly one of remoteCIDR and remoteSecurityGroupRef',
      },
    ],
  },
);

export const SecurityGroup = defineKind({
  group: 'vpc.kcloud.io',
  version: 'v1alpha1',
  kind: 'SecurityGroup',
  plural: 'securitygroups',
  shortNames: ['sg'],
  scope: 'Namespaced',
  description:
    'SecurityGroup is a stateful firewall for the NetworkInterfaces that name it: replies to allowed traffic are always let through. By default inbound traffic is denied except from members of the same group, and outbound traffic is allowed. Rule changes apply at once to every member.',
  spec: Type.Object(
    {
      vpcRef: Immutable(
        LocalObjectReference(
          'VPC',
          'The VPC the group belongs to: only interfaces of that VPC can be members, and rules can name only groups of that VPC. It cannot be changed.',
        ),
        'vpcRef is immutable',
      ),
      rules: Type.Optional(
        Type.Array(Rule, {
          description: 'The rules, in addition to the defaults.',
          maxItems: 200,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        }),
      ),
    },
    { description: 'SecurityGroupSpec is the desired state of a SecurityGroup.' },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      portGroupName: Type.Optional(
        Type.String({ description: 'Name of the OVN port group that implements the group.' }),
      ),
      members: Type.Optional(
        Type.Integer({
          description: 'Number of NetworkInterfaces in the group.',
          minimum: 0,
          maximum: 1000000,
        }),
      ),
      rules: Type.Optional(
        Type.Integer({
          description:
            'Number of the rules in the network, as last reconciled (the built-in same-group rule not counted).',
          minimum: 0,
          maximum: 200,
        }),
      ),
    },
    { description: 'SecurityGroupStatus is the observed state of a SecurityGroup.' },
  ),
  printerColumns: [
    { name: 'VPC', type: 'string', jsonPath: '.spec.vpcRef.name', description: 'The VPC.' },
    {
      name: 'Rules',
      type: 'integer',
      jsonPath: '.status.rules',
      description: 'Number of rules in the network.',
    },
    {
      name: 'Members',
      type: 'integer',
      jsonPath: '.status.members',
      description: 'Interfaces in the group.',
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type SecurityGroupSpec = SpecOf<typeof SecurityGroup>;
export type SecurityGroupStatus = StatusOf<typeof SecurityGroup>;
export type SecurityGroupObject = ObjectOf<typeof SecurityGroup>;
export type SecurityGroupRule = NonNullable<SecurityGroupSpec['rules']>[number];
