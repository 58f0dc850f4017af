// DeploymentSet: a spread policy instances share, so that one host or rack going down takes
// only a bounded number of them.
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
import { topologyValues } from './compute-schema.ts';

/** The most failure domains status.placement lists. */
export const maxPlacementEntries = 1000;
/** The condition the manager writes on a DeploymentSet: whether its spread holds. */
export const spreadCondition = 'Spread';

export const DeploymentSet = defineKind({
  group: 'ecs.kcloud.io',
  version: 'v1alpha1',
  kind: 'DeploymentSet',
  plural: 'deploymentsets',
  shortNames: ['deployset'],
  scope: 'Namespaced',
  description:
    'DeploymentSet is a spread policy instances share (spec.placement.deploymentSetRef): at most maxPerDomain of them on one host or in one rack. Strict refuses to place an instance beyond that; BestEffort spreads as far as the hosts allow and then places anyway.',
  spec: Type.Object(
    {
      topology: Type.Optional(
        StringEnum(topologyValues, {
          description:
            'The failure domain to spread over: Host, or Rack (the topology.kcloud.io/rack label of hosts; under Strict a host without one is not used).',
          default: 'Host',
        }),
      ),
      policy: Type.Optional(
        StringEnum(['Strict', 'BestEffort'], {
          description:
            'Strict: an instance that would exceed maxPerDomain in every domain waits, unscheduled. BestEffort: it goes to a domain with the fewest of the set.',
          default: 'Strict',
        }),
      ),
      maxPerDomain: Type.Optional(
        Type.Integer({
          description: 'The most instances of the set in one domain.',
          minimum: 1,
          maximum: 1000,
          default: 1,
        }),
      ),
    },
    {
      description:
        'DeploymentSetSpec is the policy. Changing it applies to instances scheduled afterwards; running ones stay where they are.',
    },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      instances: Type.Optional(
        Type.Integer({
          description: 'How many scheduled instances name the set.',
          minimum: 0,
          maximum: 10000000,
        }),
      ),
      domains: Type.Optional(
        Type.Integer({
          description: 'How many hosts or racks hold instances of the set.',
          minimum: 0,
          maximum: 10000000,
        }),
      ),
      members: Type.Optional(
        Type.Integer({
          description:
            'How many Instances name the set (spec.placement.deploymentSetRef), scheduled or not.',
          minimum: 0,
          maximum: 10000000,
        }),
      ),
      unscheduled: Type.Optional(
        Type.Integer({
          description: 'How many of them wait for a host.',
          minimum: 0,
          maximum: 10000000,
        }),
      ),
      placement: Type.Optional(
        Type.Array(
          Type.Object(
            {
              domain: Type.String({
                description:
                  'The failure domain: host/<name>, or rack/<rack> (under BestEffort over racks, a host without a rack label is a domain of its own).',
                maxLength: 320,
              }),
              instances: Type.Integer({
                description: 'How many instances of the set it holds.',
                minimum: 1,
                maximum: 10000000,
              }),
            },
            { description: 'One failure domain holding instances of the set.' },
          ),
          {
            description: `Instances of the set per host or rack, the fullest first (at most ${String(maxPlacementEntries)}; domains counts them all).`,
            maxItems: maxPlacementEntries,
            'x-kubernetes-list-type': 'atomic',
          },
        ),
      ),
    },
    { description: 'DeploymentSetStatus is how the set is spread now.' },
  ),
  printerColumns: [
    { name: 'Topology', type: 'string', jsonPath: '.spec.topology', description: 'Host or Rack.' },
    {
      name: 'Policy',
      type: 'string',
      jsonPath: '.spec.policy',
      description: 'Strict or BestEffort.',
    },
    {
      name: 'Max',
      type: 'integer',
      jsonPath: '.spec.maxPerDomain',
      description: 'Most instances per domain.',
    },
    {
      name: 'Instances',
      type: 'integer',
      jsonPath: '.status.instances',
      description: 'Scheduled instances in the set.',
    },
    {
      name: 'Domains',
      type: 'integer',
      jsonPath: '.status.domains',
      description: 'Hosts or racks holding them.',
      priority: 1,
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type DeploymentSetSpec = SpecOf<typeof DeploymentSet>;
export type DeploymentSetStatus = StatusOf<typeof DeploymentSet>;
export type DeploymentSetObject = ObjectOf<typeof DeploymentSet>;
