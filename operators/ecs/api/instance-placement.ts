// The placement part of an Instance's spec: which hosts it may run on, near or away from which
// other instances, and the DeploymentSet that spreads it with its peers.
import Type from 'typebox';
import { LocalObjectReference, StringEnum } from '../../../controllers/api/index.ts';
import { LabelSelector, Topology } from './compute-schema.ts';

export const maxAffinityTerms = 8;

function AffinityTerm(toward: string) {
  return Type.Object(
    {
      selector: LabelSelector(
        `The instances, in the same namespace, to be ${toward}: those whose labels match.`,
      ),
      topology: Topology(
        `What "${toward}" means: Host (the same hypervisor host) or Rack (hosts with the same topology.kcloud.io/rack label; a host without one belongs to no rack).`,
      ),
      type: StringEnum(['Required', 'Preferred'], {
        description:
          'Required: the instance is placed only where the term holds, and waits otherwise. Preferred: hosts where it holds score higher, by weight.',
      }),
      weight: Type.Optional(
        Type.Integer({
          description: 'How much a Preferred term counts against the others, from 1 to 100.',
          minimum: 1,
          maximum: 100,
        }),
      ),
    },
    {
      description: `A term: be ${toward} the instances its selector matches.`,
      'x-kubernetes-validations': [
        {
          rule: "self.type == 'Preferred' || !has(self.weight)",
          message: 'weight is for Preferred terms only',
        },
      ],
    },
  );
}

export const InstancePlacement = Type.Object(
  {
    hostSelector: Type.Optional(
      Type.Record(
        Type.String(),
        Type.String({ description: 'The value the Host label must have.', maxLength: 63 }),
        {
          description:
            'Labels a Host must carry, with these values, to run the instance (kubectl label host ...). A host the agent simulates (host.kcloud.io/simulated=true) is taken only when the selector names that label.',
        },
      ),
    ),
    hostGroup: Type.Optional(
      Type.String({
        description:
          "The host group to run in: Hosts whose topology.kcloud.io/host-group label (the agent's --host-group) is this.",
        minLength: 1,
        maxLength: 63,
        pattern: '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$',
      }),
    ),
    affinity: Type.Optional(
      Type.Array(AffinityTerm('near'), {
        description: 'Run near other instances: on their host or in their rack.',
        maxItems: maxAffinityTerms,
      }),
    ),
    antiAffinity: Type.Optional(
      Type.Array(AffinityTerm('away from'), {
        description:
          'Run away from other instances: not on their host, or not in their rack. Required anti-affinity is kept both ways: no instance it matches is placed into its domain later either.',
        maxItems: maxAffinityTerms,
      }),
    ),
    deploymentSetRef: Type.Optional(
      LocalObjectReference(
        'DeploymentSet',
        'The DeploymentSet whose spread policy the instance shares with the other instances naming it.',
      ),
    ),
  },
  {
    description:
      'Where the instance may run. It is read when the instance is scheduled (created, or after its host is lost); changing it does not move a running instance.',
  },
);
