// NetworkACL: stateless allow/deny rules for whole Subnets, evaluated in rule-number order.
import Type from 'typebox';
import {
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
    ruleNumber: Type.Integer({
      description:
        'Order of evaluation, lowest first; the first matching rule decides. 1 to 32766, unique per direction.',
      minimum: 1,
      maximum: 32766,
    }),
    direction: Direction(),
    protocol: Protocol(),
    ports: Type.Optional(Ports()),
    cidr: AnyIPv4CIDR(
      'The peer addresses the rule matches (source for Ingress, destination for Egress).',
    ),
    action: Action('Allow or Deny matching traffic.'),
  },
  { description: 'One rule of a NetworkACL.', 'x-kubernetes-validations': protocolRules },
);

export const NetworkACL = defineKind({
  group: 'vpc.kcloud.io',
  version: 'v1alpha1',
  kind: 'NetworkACL',
  plural: 'networkacls',
  shortNames: ['nacl'],
  scope: 'Namespaced',
  description:
    'NetworkACL is a stateless firewall for whole Subnets: each packet is checked against the rules in rule-number order, replies included. Traffic that matches no rule is allowed.',
  spec: Type.Object(
    {
      subnetRefs: Type.Array(LocalObjectReference('Subnet', 'A Subnet the rules apply to.'), {
        description: 'The Subnets the rules apply to; a Subnet can have only one NetworkACL.',
        minItems: 1,
        maxItems: 50,
      }),
      rules: Type.Array(Rule, {
        description: 'The rules.',
        maxItems: 100,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['direction', 'ruleNumber'],
      }),
    },
    { description: 'NetworkACLSpec is the desired state of a NetworkACL.' },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      subnets: Type.Optional(
        Type.Array(Type.String(), {
          description: 'The Subnets whose traffic the rules filter.',
          maxItems: 50,
        }),
      ),
    },
    { description: 'NetworkACLStatus is the observed state of a NetworkACL.' },
  ),
  printerColumns: [
    {
      name: 'Subnets',
      type: 'string',
      jsonPath: '.spec.subnetRefs[*].name',
      description: 'The Subnets.',
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type NetworkACLSpec = SpecOf<typeof NetworkACL>;
export type NetworkACLStatus = StatusOf<typeof NetworkACL>;
export type NetworkACLObject = ObjectOf<typeof NetworkACL>;
