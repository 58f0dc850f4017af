import { columnKind, type Atom, type BaseType, type ColumnType } from './schema.ts';

// The JSON forms of RFC 7047 section 5.1.
export type WireUuid = ['uuid', string];
export type WireNamedUuid = ['named-uuid', string];
export type WireAtom = string | number | boolean | WireUuid | WireNamedUuid;
export type WireSet = ['set', WireAtom[]];
export type WireMap = ['map', [WireAtom, WireAtom][]];
export type WireValue = WireAtom | WireSet | WireMap;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uuidNamePattern = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

export const zeroUuid = '00000000-0000-0000-0000-000000000000';

export function isUuid(s: string): boolean {
  return uuidPattern.test(s);
}

export function isUuidName(s: string): boolean {
  return uuidNamePattern.test(s);
}

/**
 * A uuid-typed value in JS is a string: a real UUID, or the `uuid-name` of a row inserted
 * earlier in the same transaction, which the server resolves (RFC 7047 section 5.1).
 */
export function uuidToWire(s: string, where = 'uuid'): WireUuid | WireNamedUuid {
  if (isUuid(s)) return ['uuid', s];
  if (isUuidName(s)) return ['named-uuid', s];
  throw new Error(`${where}: ${JSON.stringify(s)} is neither a UUID nor a uuid-name`);
}

export function atomToWire(value: unknown, base: BaseType, where: string): WireAtom {
  switch (base.type) {
    case 'integer':
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      break;
    case 'real':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      break;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      break;
    case 'string':
      if (typeof value === 'string') return value;
      break;
    case 'uuid':
      if (typeof value === 'string') return uuidToWire(value, where);
      break;
  }
  throw new Error(`${where}: expected ${base.type}, got ${describe(value)}`);
}

export function atomFromWire(wire: unknown, base: BaseType, where: string): Atom {
  switch (base.type) {
    case 'integer':
    case 'real':
      if (typeof wire === 'number') return wire;
      break;
    case 'boolean':
      if (typeof wire === 'boolean') return wire;
      break;
    case 'string':
      if (typeof wire === 'string') return wire;
      break;
    case 'uuid':
      if (Array.isArray(wire) && wire[0] === 'uuid' && typeof wire[1] === 'string') return wire[1];
      break;
  }
  throw new Error(`${where}: expected ${base.type} from the server, got ${describe(wire)}`);
}

/** Map keys are JS object keys, so strings; this turns one back into the key's atom. */
export function mapKeyToWire(key: string, base: BaseType, where: string): WireAtom {
  switch (base.type) {
    case 'integer':
    case 'real': {
      const n = Number(key);
      if (key.trim() === '' || Number.isNaN(n)) {
        throw new Error(`${where}: map key ${JSON.stringify(key)} is not a number`);
      }
      return atomToWire(n, base, where);
    }
    case 'boolean':
      if (key === 'true' || key === 'false') return key === 'true';
      throw new Error(`${where}: map key ${JSON.stringify(key)} is not a boolean`);
    default:
      return atomToWire(key, base, where);
  }
}

/**
 * A JS value to its wire form for a column of `type`. Sets are arrays (a single atom is
 * accepted as a one-element set, as in conditions and mutations); an optional column's
 * absent value is `undefined` (or null, or an empty array); maps are Records.
 */
export function valueToWire(value: unknown, type: ColumnType, where: string): WireValue {
  switch (columnKind(type)) {
    case 'scalar':
      return atomToWire(value, type.key, where);
    case 'optional':
      if (value === undefined || value === null) return ['set', []];
      if (Array.isArray(value)) return setToWire(value, type.key, where);
      return atomToWire(value, type.key, where);
    case 'set':
      return setToWire(Array.isArray(value) ? value : [value], type.key, where);
    case 'map':
      return mapToWire(value, type, where);
  }
}

export function setToWire(values: readonly unknown[], base: BaseType, where: string): WireSet {
  return ['set', values.map((v) => atomToWire(v, base, where))];
}

export function mapToWire(value: unknown, type: ColumnType, where: string): WireMap {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${where}: expected a map (an object), got ${describe(value)}`);
  }
  const valueType = type.value;
  if (!valueType) throw new Error(`${where}: the column is not a map`);
  return [
    'map',
    Object.entries(value).map(([k, v]): [WireAtom, WireAtom] => [
      mapKeyToWire(k, type.key, where),
      atomToWire(v, valueType, `${where}[${k}]`),
    ]),
  ];
}

/** The elements of a wire set; a bare atom is a one-element set. */
export function wireSetElements(wire: unknown, where: string): unknown[] {
  if (Array.isArray(wire) && wire[0] === 'set') {
    if (!Array.isArray(wire[1])) throw new Error(`${where}: malformed set ${describe(wire)}`);
    return wire[1] as unknown[];
  }
  return [wire];
}

export function wireMapPairs(wire: unknown, where: string): [unknown, unknown][] {
  if (!Array.isArray(wire) || wire[0] !== 'map' || !Array.isArray(wire[1])) {
    throw new Error(`${where}: expected a map from the server, got ${describe(wire)}`);
  }
  return (wire[1] as unknown[]).map((pair) => {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new Error(`${where}: malformed map pair ${describe(pair)}`);
    }
    return [pair[0], pair[1]];
  });
}

/** A wire value from the server to its JS form (see valueToWire). */
export function valueFromWire(wire: unknown, type: ColumnType, where: string): unknown {
  switch (columnKind(type)) {
    case 'scalar':
      return atomFromWire(wire, type.key, where);
    case 'optional': {
      const elements = wireSetElements(wire, where);
      if (elements.length > 1)
        throw new Error(`${where}: more than one value in ${describe(wire)}`);
      return elements.length === 0 ? undefined : atomFromWire(elements[0], type.key, where);
    }
    case 'set':
      return wireSetElements(wire, where).map((e) => atomFromWire(e, type.key, where));
    case 'map': {
      const valueType = type.value as BaseType;
      const map: Record<string, Atom> = {};
      for (const [k, v] of wireMapPairs(wire, where)) {
        map[String(atomFromWire(k, type.key, where))] = atomFromWire(v, valueType, where);
      }
      return map;
    }
  }
}

/** The value a column holds when nobody set it: what update2 leaves out of inserted rows. */
export function defaultValue(type: ColumnType): unknown {
  switch (columnKind(type)) {
    case 'set':
      return [];
    case 'map':
      return {};
    case 'optional':
      return undefined;
    case 'scalar':
      return defaultAtom(type.key);
  }
}

function defaultAtom(base: BaseType): Atom {
  switch (base.type) {
    case 'integer':
    case 'real':
      return 0;
    case 'boolean':
      return false;
    case 'string':
      return '';
    case 'uuid':
      return zeroUuid;
  }
}

function describe(value: unknown): string {
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) return typeof value;
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
