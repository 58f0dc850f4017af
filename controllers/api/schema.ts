// Schema building blocks for kcloud kinds, shaped the way Kubernetes CRDs need them: TypeBox's own
// unions of literals become `anyOf`/`const`, which a structural schema forbids, so fixed value
// sets go through StringEnum; and the standard fields (conditions, observedGeneration, ...)
// follow the metav1 conventions every Kubernetes tool understands.
import Type, { type TSchema, type TUnsafe } from 'typebox';
import type { ValidationRule } from './structural.ts';

export interface EnumOptions<T extends string> {
  description: string;
  default?: T;
}

/** A string from a fixed set: `{type: string, enum: [...]}`, typed as the union of the values. */
export function StringEnum<const T extends readonly [string, ...string[]]>(
  values: T,
  options: EnumOptions<T[number]>,
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export interface Int64Options {
  description: string;
  minimum?: number;
  maximum?: number;
  default?: number;
}

/** An integer that may exceed 32 bits (sizes in bytes, generations, counters). */
export function Int64(options: Int64Options): TUnsafe<number> {
  return Type.Unsafe<number>({ type: 'integer', format: 'int64', ...options });
}

/** `status.observedGeneration`: the metadata.generation the status was computed from. */
export function ObservedGeneration(
  description = 'The metadata.generation this status was computed from; when it is lower than metadata.generation, the controller has not yet acted on the latest spec.',
): TUnsafe<number> {
  return Int64({ description, minimum: 0 });
}

/** `status.phase`: a one-word summary of the lifecycle, for humans and printer columns. */
export function Phase<const T extends readonly [string, ...string[]]>(
  values: T,
  description = `One-word summary of where the object is in its lifecycle: ${values.join(', ')}. Conditions carry the details.`,
): TUnsafe<T[number]> {
  return StringEnum(values, { description });
}

const ConditionSchema = Type.Object({
  type: Type.String({
    description: 'Type of the condition in CamelCase (or domain/CamelCase), e.g. Ready.',
    maxLength: 316,
    pattern:
      '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
  }),
  status: StringEnum(['True', 'False', 'Unknown'], {
    description: 'Status of the condition: True, False or Unknown.',
  }),
  observedGeneration: Type.Optional(
    Int64({
      description:
        'The metadata.generation the condition was set for; a lower value than metadata.generation means the condition is out of date.',
      minimum: 0,
    }),
  ),
  lastTransitionTime: Type.String({
    description: 'When the condition last changed from one status to another.',
    format: 'date-time',
  }),
  reason: Type.String({
    description:
      "Programmatic identifier in CamelCase for the condition's last transition, e.g. Provisioning.",
    minLength: 1,
    maxLength: 1024,
    pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
  }),
  message: Type.String({
    description: 'Human-readable details about the transition; may be empty.',
    maxLength: 32768,
  }),
});

/**
 * `status.conditions`: a list of metav1.Condition keyed by `type`, so server-side apply merges
 * entries by type and `kubectl wait --for=condition=Ready` works.
 */
export function Conditions(
  description = 'Current state of the object as standard conditions, one per type; Ready summarizes whether it is usable.',
) {
  return Type.Array(ConditionSchema, {
    description,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  });
}

/** A reference to another object of `kind` in the same namespace, by name. */
export function LocalObjectReference(kind: string, description: string) {
  return Type.Object(
    {
      name: Type.String({
        description: `Name of the ${kind} in the same namespace.`,
        minLength: 1,
        maxLength: 253,
      }),
    },
    { description, 'x-kubernetes-map-type': 'atomic' },
  );
}

/** What deleting the object does to what it manages: `Delete` (the default) or `Retain`. */
export function DeletionPolicy(
  description = 'What happens to the backing resource when this object is deleted: Delete removes it, Retain leaves it in place.',
): TUnsafe<'Delete' | 'Retain'> {
  return StringEnum(['Delete', 'Retain'], { description, default: 'Delete' });
}

/** Adds CEL rules (x-kubernetes-validations) to a schema, after any it already has. */
export function WithValidations<T extends TSchema>(schema: T, added: ValidationRule[]): T {
  const rules: ValidationRule[] = [
    ...((schema as { 'x-kubernetes-validations'?: ValidationRule[] })['x-kubernetes-validations'] ??
      []),
    ...added,
  ];
  // Copy with descriptors: TypeBox keeps its markers (e.g. Optional) in non-enumerable keys.
  return Object.defineProperties(
    Object.create(Object.getPrototypeOf(schema) as object | null) as T,
    {
      ...Object.getOwnPropertyDescriptors(schema),
      'x-kubernetes-validations': {
        value: rules,
        enumerable: true,
        writable: true,
        configurable: true,
      },
    },
  );
}

/**
 * Makes a field immutable with the CEL transition rule `self == oldSelf`. Kubernetes evaluates
 * a transition rule only when both the old and the new object have the field, so an optional
 * field can still be added or removed: forbid that with a rule on the parent, e.g.
 * `has(self.x) == has(oldSelf.x)`.
 */
export function Immutable<T extends TSchema>(schema: T, message: string): T {
  return WithValidations(schema, [{ rule: 'self == oldSelf', message }]);
}

const quantityPattern =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/** A resource.Quantity such as `10Gi`, `500m` or `2`: an integer or a string. */
export function Quantity(description: string): TUnsafe<number | string> {
  return Type.Unsafe<number | string>({
    description,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    pattern: quantityPattern,
    'x-kubernetes-int-or-string': true,
  });
}

/** An integer or a string, such as a port number or name, or a percentage. */
export function IntOrString(description: string): TUnsafe<number | string> {
  return Type.Unsafe<number | string>({
    description,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    'x-kubernetes-int-or-string': true,
  });
}

/**
 * The status fields every kcloud kind shares, to spread into its status object: a one-word
 * `phase` (`Provisioning` while the backend still works on the object, `Unknown` while it
 * cannot be reached), the `observedGeneration` last reconciled to a conclusion, and the
 * `conditions`.
 */
export function StandardStatus() {
  return {
    phase: Type.Optional(
      Phase(['Pending', 'Provisioning', 'Ready', 'Failed', 'Deleting', 'Unknown']),
    ),
    observedGeneration: Type.Optional(ObservedGeneration()),
    conditions: Type.Optional(Conditions()),
  };
}
