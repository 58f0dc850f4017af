// Schema pieces the ECS kinds share: memory in whole MiB, the vCPU and memory of a Flavor or an
// inline request, references to images and to cluster-scoped objects, label selectors.
import Type, { type TSchema } from 'typebox';
import { Quantity, StringEnum, WithValidations } from '../../../controllers/api/index.ts';
import { publicImagesNamespace } from '../../evs/api/index.ts';

export const MiB = 1024 ** 2;
export const minMemoryBytes = 16 * MiB;
export const maxMemoryBytes = 16 * 1024 ** 4;
export const maxVcpus = 1024;

// Quantity fields are int-or-string: CEL sees an int or a string, and quantity() takes a string.
const q = (expr: string) => `quantity(string(${expr}))`;

/**
 * Memory: a Kubernetes quantity that is a whole number of MiB from 16Mi to 16Ti, written without
 * a fraction (1536Mi, not 1.5Gi: the API server's quantity library does not count 1.5Gi as an
 * integer). Whole MiB, because QEMU takes memory in MiB and the guest must see what was asked.
 */
export function MemorySize(description: string) {
  return WithValidations(Quantity(description), [
    {
      rule: `isQuantity(string(self)) && ${q('self')}.isInteger() && ${q('self')}.asInteger() % ${String(MiB)} == 0`,
      message:
        'memory must be a whole number of MiB without a fraction, such as 512Mi, 4Gi or 1536Mi',
    },
    {
      rule: `!isQuantity(string(self)) || !${q('self')}.isInteger() || (${q('self')}.asInteger() >= ${String(minMemoryBytes)} && ${q('self')}.asInteger() <= ${String(maxMemoryBytes)})`,
      message: 'memory must be from 16Mi to 16Ti',
    },
  ]);
}

/** Virtual CPUs of a Flavor or an inline request. */
export function Vcpus(description: string) {
  return Type.Integer({ description, minimum: 1, maximum: maxVcpus });
}

/** vCPUs and memory, as a Flavor gives them and as an Instance may give them inline. */
export function ComputeResources(description: string) {
  return Type.Object(
    {
      vcpu: Vcpus('Virtual CPUs of the instance, from 1 to 1024.'),
      memory: MemorySize(
        'Memory of the instance, a whole number of MiB from 16Mi to 16Ti, such as 4Gi or 1536Mi.',
      ),
    },
    { description },
  );
}

/** A reference by name to a cluster-scoped object of `kind`. */
export function ClusterRef(kind: string, description: string) {
  return Type.Object(
    {
      name: Type.String({ description: `Name of the ${kind}.`, minLength: 1, maxLength: 253 }),
    },
    { description, 'x-kubernetes-map-type': 'atomic' },
  );
}

/** An Image in the referrer's namespace or a public one, as a Volume's image source is. */
export function ImageRef(description: string) {
  return Type.Object(
    {
      name: Type.String({ description: 'Name of the Image.', minLength: 1, maxLength: 253 }),
      namespace: Type.Optional(
        Type.String({
          description: `Where the Image is: omitted for the Instance's own namespace, or ${publicImagesNamespace} for a public image. Images of other namespaces cannot be used.`,
          maxLength: 63,
        }),
      ),
    },
    {
      description,
      'x-kubernetes-map-type': 'atomic',
      'x-kubernetes-validations': [
        {
          rule: `!has(self.namespace) || self.namespace == '${publicImagesNamespace}'`,
          message: `an image is in the Instance's namespace or in ${publicImagesNamespace} (public images)`,
        },
      ],
    },
  );
}

/** Where (anti-)affinity and spread count instances together: one host, or one rack. */
export const topologyValues = ['Host', 'Rack'] as const;
export function Topology(description: string) {
  return StringEnum(topologyValues, { description });
}

const labelKey = (description: string) =>
  Type.String({
    description,
    minLength: 1,
    maxLength: 317,
    pattern:
      '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$',
  });

/** A Kubernetes label selector (matchLabels and matchExpressions, ANDed). */
export function LabelSelector(description: string) {
  return Type.Object(
    {
      matchLabels: Type.Optional(
        Type.Record(
          Type.String(),
          Type.String({ description: 'The value the label must have.', maxLength: 63 }),
          { description: 'Labels an object must carry with exactly these values.' },
        ),
      ),
      matchExpressions: Type.Optional(
        Type.Array(
          Type.Object(
            {
              key: labelKey('The label key the expression looks at.'),
              operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist'], {
                description:
                  'In and NotIn compare the label with values; Exists and DoesNotExist only look for the key.',
              }),
              values: Type.Optional(
                Type.Array(Type.String({ description: 'A label value.', maxLength: 63 }), {
                  description: 'Values for In and NotIn; none for Exists and DoesNotExist.',
                  maxItems: 64,
                }),
              ),
            },
            {
              description: 'One requirement on a label.',
              'x-kubernetes-validations': [
                {
                  rule: "(self.operator == 'In' || self.operator == 'NotIn') == (has(self.values) && size(self.values) > 0)",
                  message: 'In and NotIn take values; Exists and DoesNotExist take none',
                },
              ],
            },
          ),
          { description: 'Requirements on labels, all of which must hold.', maxItems: 16 },
        ),
      ),
    },
    {
      description,
      'x-kubernetes-validations': [
        {
          rule: '(has(self.matchLabels) && size(self.matchLabels) > 0) || (has(self.matchExpressions) && size(self.matchExpressions) > 0)',
          message:
            'a selector needs matchLabels or matchExpressions (an empty one would select every instance)',
        },
      ],
    },
  );
}

/**
 * The same schema with another description: for reusing a field of another kind (a Volume's
 * size) where the surrounding text differs. TypeBox keeps its markers in non-enumerable keys.
 */
export function Described<T extends TSchema>(schema: T, description: string): T {
  return Object.defineProperties(
    Object.create(Object.getPrototypeOf(schema) as object | null) as T,
    {
      ...Object.getOwnPropertyDescriptors(schema),
      description: { value: description, enumerable: true, writable: true, configurable: true },
    },
  );
}
