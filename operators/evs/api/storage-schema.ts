// Schema pieces the EVS kinds share: sizes in whole GiB, the phases a Volume goes through.
import Type from 'typebox';
import { Quantity, WithValidations } from '../../../controllers/api/index.ts';

export const GiB = 1024 ** 3;
export const minVolumeBytes = GiB;
export const maxVolumeBytes = 32 * 1024 * GiB;

// Quantity fields are int-or-string: CEL sees an int or a string, and quantity() takes a string.
const q = (expr: string) => `quantity(string(${expr}))`;

/**
 * A volume size: a Kubernetes quantity that is a whole number of GiB from 1Gi to 32Ti, written
 * without a fraction (the API server's quantity library does not count 1.5Ti as an integer, so
 * neither may we: 1536Gi). Whole GiB, because a pool rounds other sizes on its own (qcow2 to 512 bytes, RBD to its object
 * size) and the size a user asked for must be the size the guest sees.
 */
export function VolumeSize(description: string) {
  return WithValidations(Quantity(description), [
    {
      rule: `isQuantity(string(self)) && ${q('self')}.isInteger() && ${q('self')}.asInteger() % ${String(GiB)} == 0`,
      message: 'size must be a whole number of GiB without a fraction, such as 10Gi, 1536Gi or 1Ti',
    },
    {
      rule: `!isQuantity(string(self)) || !${q('self')}.isInteger() || (${q('self')}.asInteger() >= ${String(minVolumeBytes)} && ${q('self')}.asInteger() <= ${String(maxVolumeBytes)})`,
      message: 'size must be from 1Gi to 32Ti',
    },
  ]);
}

/** The CEL that refuses shrinking a size field (a transition rule: it sees the old value). */
export function NoShrink<T extends Parameters<typeof WithValidations>[0]>(schema: T): T {
  return WithValidations(schema, [
    {
      rule: `!isQuantity(string(self)) || !isQuantity(string(oldSelf)) || ${q('self')}.compareTo(${q('oldSelf')}) >= 0`,
      message:
        'size cannot shrink: a volume only grows (create a smaller volume and copy the data instead)',
    },
  ]);
}

/** A reference by name to an object of `kind` in the same namespace. */
export function SameNamespaceRef(kind: string, description: string) {
  return Type.Object(
    {
      name: Type.String({
        description: `Name of the ${kind}, in the same namespace.`,
        minLength: 1,
        maxLength: 253,
      }),
    },
    { description, 'x-kubernetes-map-type': 'atomic' },
  );
}

/** A reference by name to a cluster-scoped object of `kind`. */
export function ClusterRef(kind: string, description: string) {
  return Type.Object(
    {
      name: Type.String({
        description: `Name of the ${kind}.`,
        minLength: 1,
        maxLength: 253,
      }),
    },
    { description, 'x-kubernetes-map-type': 'atomic' },
  );
}

const suffixes: Record<string, number> = {
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/**
 * The bytes a size quantity stands for, as the API server stored it (`10Gi`, `1.5Ti`,
 * `10737418240`, `1e10`). Throws on anything that is not a whole number of bytes: the schema
 * lets only whole GiB through, so that means an object stored before the rule.
 */
export function quantityBytes(size: string | number): number {
  if (typeof size === 'number') return size;
  const m = /^\+?(\d+(?:\.\d*)?|\.\d+)(?:([KMGTPE]i|[mkMGTPE])|[eE]([+-]?\d+))?$/.exec(size);
  if (!m) throw new Error(`size ${size} is not a quantity such as 10Gi`);
  const scale = m[2] ? (suffixes[m[2]] ?? 1) : m[3] ? 10 ** Number(m[3]) : 1;
  const bytes = Number(m[1]) * scale;
  if (!Number.isSafeInteger(bytes)) throw new Error(`size ${size} is not a whole number of bytes`);
  return bytes;
}

/** Bytes as a quantity people read: the largest binary unit that keeps it whole (1536Mi, 4Gi). */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['Ti', 1024 ** 4],
    ['Gi', 1024 ** 3],
    ['Mi', 1024 ** 2],
    ['Ki', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${String(bytes / size)}${unit}`;
  }
  return String(bytes);
}
