// Turns a TypeBox schema into a Kubernetes structural schema (the openAPIV3Schema of a CRD
// version), refusing what the API server would refuse or silently get wrong. Every problem is
// reported with the path of the field it is about, so a bad definition fails generation with a
// message that says where to look.
import type { TSchema } from 'typebox';

/** A CEL rule, as `x-kubernetes-validations` holds it. */
export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?:
    'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  fieldPath?: string;
  optionalOldSelf?: boolean;
}

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

/** The part of apiextensions.k8s.io/v1 JSONSchemaProps a structural schema may use. */
export interface JsonSchemaProps {
  description?: string;
  type?: SchemaType;
  format?: string;
  nullable?: boolean;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  exclusiveMinimum?: boolean;
  maximum?: number;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  required?: string[];
  properties?: Record<string, JsonSchemaProps>;
  additionalProperties?: JsonSchemaProps;
  items?: JsonSchemaProps;
  allOf?: JsonSchemaProps[];
  anyOf?: JsonSchemaProps[];
  oneOf?: JsonSchemaProps[];
  not?: JsonSchemaProps;
  title?: string;
  example?: unknown;
  externalDocs?: { description?: string; url?: string };
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: ValidationRule[];
}

/** Thrown with every problem found; each line names a field path. */
export class StructuralSchemaError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[], context = 'invalid CRD schema') {
    super(`${context}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'StructuralSchemaError';
    this.problems = problems;
  }
}

/**
 * Converts `schema`, the schema of the field at `path` (e.g. `spec`), into a structural schema.
 * The field itself and every property below it must have a description. Throws
 * StructuralSchemaError listing every problem.
 */
export function toStructural(schema: TSchema, path: string): JsonSchemaProps {
  const problems: string[] = [];
  const out = convert(schema, path, 'field', problems);
  if (problems.length > 0) throw new StructuralSchemaError(problems);
  return out;
}

// The order keys are written in: what a field is first, then its bounds, then what it contains.
const keyOrder = [
  'description',
  'type',
  'format',
  'nullable',
  'enum',
  'default',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'title',
  'example',
  'externalDocs',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
] as const satisfies readonly (keyof JsonSchemaProps)[];

type Key = (typeof keyOrder)[number];

const numberKeys = new Set<string>(['minimum', 'maximum', 'multipleOf']);
const countKeys = new Set<string>([
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
]);
const booleanKeys = new Set<string>([
  'nullable',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
]);
const stringKeys = new Set<string>(['description', 'format', 'pattern', 'title']);
const copiedKeys = new Set<string>(['enum', 'default', 'example', 'externalDocs']);
const schemaTypes = new Set<string>(['object', 'array', 'string', 'integer', 'number', 'boolean']);

// Identifiers that belong to JSON Schema tooling, not to the API: dropped from the output.
const droppedKeys = new Set(['$id', '$schema', 'id']);

// Keywords a CRD schema cannot express, with what to use instead.
const unsupported: Record<string, string> = {
  const: 'use StringEnum([...]) for a fixed set of values',
  $ref: 'inline the schema',
  $defs: 'inline the schema',
  definitions: 'inline the schema',
  $comment: 'use description',
  examples: 'use example',
  patternProperties: 'use a map (additionalProperties) without key patterns',
  dependencies: 'use a CEL rule (x-kubernetes-validations)',
  dependentRequired: 'use a CEL rule (x-kubernetes-validations)',
  dependentSchemas: 'use a CEL rule (x-kubernetes-validations)',
  propertyNames: 'use a CEL rule (x-kubernetes-validations)',
  if: 'use a CEL rule (x-kubernetes-validations)',
  then: 'use a CEL rule (x-kubernetes-validations)',
  else: 'use a CEL rule (x-kubernetes-validations)',
  additionalItems: 'use items',
  prefixItems: 'use items',
  contains: 'use a CEL rule (x-kubernetes-validations)',
  minContains: 'use a CEL rule (x-kubernetes-validations)',
  maxContains: 'use a CEL rule (x-kubernetes-validations)',
  unevaluatedProperties: 'remove it: the API server prunes unknown fields',
  unevaluatedItems: 'use items',
  readOnly: 'use a CEL transition rule (Immutable)',
  writeOnly: 'remove it',
  deprecated: 'say so in the description',
};

// TypeBox writes Type.Record(Type.String(), T) as one catch-all key pattern: that is a map.
const anyKeyPatterns = new Set(['^.*$', '^(.*)$', '.*']);

// Generic keywords a member of allOf/anyOf/oneOf/not must leave to the field itself.
const junctorForbidden = [
  'type',
  'description',
  'default',
  'additionalProperties',
  'nullable',
  'title',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
] as const;

const int32Max = 2 ** 31 - 1;
const int32Min = -(2 ** 31);

type Role = 'field' | 'items' | 'values' | 'junctor' | 'int-or-string';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function convert(node: unknown, path: string, role: Role, problems: string[]): JsonSchemaProps {
  const at = path === '' ? '<root>' : path;
  if (!isRecord(node)) {
    problems.push(`${at}: is not a schema`);
    return {};
  }
  const src = { ...node };
  if (role === 'field' && !(typeof src.description === 'string' && src.description.trim())) {
    problems.push(`${at}: needs a description (kubectl explain shows it)`);
  }
  const out: Partial<Record<Key, unknown>> = {};
  // A rejected union already says what to write instead of a missing type.
  let unionRejected = false;

  if (isRecord(src.patternProperties)) {
    const patterns = Object.keys(src.patternProperties);
    const only = patterns[0];
    if (patterns.length === 1 && only !== undefined && anyKeyPatterns.has(only)) {
      if (src.additionalProperties === undefined) {
        src.additionalProperties = src.patternProperties[only];
        delete src.patternProperties;
      }
    }
  }

  for (const key of Object.keys(src)) {
    const value = src[key];
    if (key.startsWith('~') || droppedKeys.has(key) || value === undefined) continue;
    if (key === 'anyOf' || key === 'oneOf') {
      if (
        Array.isArray(value) &&
        value.length > 0 &&
        value.every((m) => isRecord(m) && 'const' in m)
      ) {
        problems.push(
          `${at}: a union of literals is not allowed in a CRD schema (${key} of const); use StringEnum([...])`,
        );
        unionRejected = true;
        continue;
      }
      if (Array.isArray(value) && value.some((m) => isRecord(m) && m.type === 'null')) {
        problems.push(`${at}: a union with null is not allowed; mark the field nullable: true`);
        unionRejected = true;
        continue;
      }
    }
    if (Object.hasOwn(unsupported, key)) {
      problems.push(`${at}: ${key} is not allowed in a CRD schema; ${unsupported[key] ?? ''}`);
      continue;
    }
    if (key === 'uniqueItems') {
      if (value === true) {
        problems.push(
          `${at}: uniqueItems is not allowed in a CRD schema; use x-kubernetes-list-type: set`,
        );
      }
      continue;
    }
    if (!(keyOrder as readonly string[]).includes(key)) {
      problems.push(
        key.startsWith('x-kubernetes-')
          ? `${at}: ${key} is not a Kubernetes schema extension`
          : `${at}: ${key} is not a keyword a CRD schema supports`,
      );
      continue;
    }
    const memberRole: Role =
      src['x-kubernetes-int-or-string'] === true ? 'int-or-string' : 'junctor';
    const converted = convertKey(key as Key, value, path, at, memberRole, problems);
    if (converted !== undefined) out[key as Key] = converted;
  }

  checkShape(out as JsonSchemaProps, at, role, unionRejected, problems);

  const ordered: Partial<Record<Key, unknown>> = {};
  for (const key of keyOrder) if (out[key] !== undefined) ordered[key] = out[key];
  return ordered as JsonSchemaProps;
}

function convertKey(
  key: Key,
  value: unknown,
  path: string,
  at: string,
  memberRole: Role,
  problems: string[],
): unknown {
  const bad = (expected: string): unknown => {
    problems.push(`${at}: ${key} must be ${expected}`);
    return undefined;
  };
  if (key === 'type') {
    if (value === 'null') return bad('a single type; for an optional null use nullable: true');
    if (typeof value !== 'string' || !schemaTypes.has(value)) {
      return bad('one of object, array, string, integer, number, boolean');
    }
    return value;
  }
  if (numberKeys.has(key)) return typeof value === 'number' ? value : bad('a number');
  if (countKeys.has(key)) {
    return Number.isInteger(value) && (value as number) >= 0 ? value : bad('a count');
  }
  if (booleanKeys.has(key)) {
    if (key === 'exclusiveMinimum' || key === 'exclusiveMaximum') {
      if (typeof value === 'number') {
        return bad('a boolean (OpenAPI v3.0): set minimum/maximum and exclusiveMinimum: true');
      }
    }
    return typeof value === 'boolean' ? value : bad('a boolean');
  }
  if (stringKeys.has(key)) {
    if (typeof value !== 'string') return bad('a string');
    if (key === 'pattern') {
      try {
        new RegExp(value, 'u');
      } catch {
        return bad('a valid regular expression');
      }
    }
    return value;
  }
  if (copiedKeys.has(key)) {
    if (key === 'enum' && !(Array.isArray(value) && value.length > 0)) return bad('a list');
    return structuredClone(value);
  }
  switch (key) {
    case 'required':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
        return bad('a list of property names');
      }
      return value.length > 0 ? [...value].sort() : undefined;
    case 'properties': {
      if (!isRecord(value)) return bad('an object of schemas');
      const props: Record<string, JsonSchemaProps> = {};
      for (const name of Object.keys(value).sort()) {
        props[name] = convert(
          value[name],
          path === '' ? name : `${path}.${name}`,
          'field',
          problems,
        );
      }
      return props;
    }
    case 'additionalProperties':
      if (value === false) {
        return bad(
          'a schema: additionalProperties: false is not allowed (the API server prunes unknown fields)',
        );
      }
      if (value === true) return bad('a schema; use x-kubernetes-preserve-unknown-fields: true');
      return convert(value, `${path}[*]`, 'values', problems);
    case 'items':
      if (Array.isArray(value)) return bad('one schema (tuples are not supported)');
      return convert(value, `${path}[*]`, 'items', problems);
    case 'allOf':
    case 'anyOf':
    case 'oneOf':
      if (!Array.isArray(value) || value.length === 0) return bad('a list of schemas');
      return value.map((m, i) => convert(m, `${at}.${key}[${i}]`, memberRole, problems));
    case 'not':
      return convert(value, `${at}.not`, 'junctor', problems);
    case 'x-kubernetes-list-type':
      return value === 'atomic' || value === 'set' || value === 'map'
        ? value
        : bad('atomic, set or map');
    case 'x-kubernetes-map-type':
      return value === 'atomic' || value === 'granular' ? value : bad('atomic or granular');
    case 'x-kubernetes-list-map-keys':
      return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')
        ? [...value]
        : bad('a non-empty list of property names');
    case 'x-kubernetes-validations':
      return convertRules(value, at, problems);
    default:
      return bad('a keyword this generator knows how to write');
  }
}

const ruleKeys = ['rule', 'message', 'messageExpression', 'reason', 'fieldPath', 'optionalOldSelf'];

function convertRules(
  value: unknown,
  at: string,
  problems: string[],
): ValidationRule[] | undefined {
  if (!Array.isArray(value)) {
    problems.push(`${at}: x-kubernetes-validations must be a list of rules`);
    return undefined;
  }
  return value.map((r: unknown, i) => {
    if (!isRecord(r) || typeof r.rule !== 'string' || r.rule.trim() === '') {
      problems.push(`${at}: x-kubernetes-validations[${i}] needs a CEL rule`);
      return { rule: '' };
    }
    for (const k of Object.keys(r)) {
      if (!ruleKeys.includes(k))
        problems.push(`${at}: x-kubernetes-validations[${i}].${k} is unknown`);
    }
    const rule: Record<string, unknown> = {};
    for (const k of ruleKeys) if (r[k] !== undefined) rule[k] = r[k];
    return rule as unknown as ValidationRule;
  });
}

// Rules about the combination of keywords on one node.
function checkShape(
  s: JsonSchemaProps,
  at: string,
  role: Role,
  unionRejected: boolean,
  problems: string[],
): void {
  if (role === 'junctor' || role === 'int-or-string') {
    for (const k of junctorForbidden) {
      if (s[k] === undefined) continue;
      // The one exception Kubernetes makes: anyOf: [{type: integer}, {type: string}].
      if (
        k === 'type' &&
        role === 'int-or-string' &&
        (s.type === 'integer' || s.type === 'string')
      ) {
        continue;
      }
      problems.push(`${at}: ${k} is not allowed inside allOf/anyOf/oneOf/not (not structural)`);
    }
    return;
  }

  const intOrString = s['x-kubernetes-int-or-string'] === true;
  if (intOrString && s.anyOf) {
    const types = s.anyOf.map((m) => m.type);
    if (types.length !== 2 || types[0] !== 'integer' || types[1] !== 'string') {
      problems.push(
        `${at}: x-kubernetes-int-or-string allows only anyOf: [{type: integer}, {type: string}]`,
      );
    }
  }
  const untyped = !intOrString && s['x-kubernetes-preserve-unknown-fields'] !== true;
  if (s.type === undefined && untyped && !unionRejected) {
    problems.push(`${at}: needs a type (use StringEnum([...]) for a fixed set of strings)`);
  }
  if (s.type !== undefined && intOrString) {
    problems.push(`${at}: x-kubernetes-int-or-string must not have a type`);
  }
  if (s.type === 'array' && s.items === undefined) problems.push(`${at}: an array needs items`);
  if (s.properties && s.additionalProperties) {
    problems.push(`${at}: properties and additionalProperties are mutually exclusive`);
  }
  for (const name of s.required ?? []) {
    if (!s.properties?.[name]) problems.push(`${at}: required field ${name} is not a property`);
  }
  if (s.type === 'integer') checkIntegerWidth(s, at, problems);
  checkListType(s, at, problems);
}

// Kubernetes treats an integer without format int64 as 32 bits in generated clients and tools.
function checkIntegerWidth(s: JsonSchemaProps, at: string, problems: string[]): void {
  if (s.format === 'int64') return;
  const bounded =
    s.minimum !== undefined &&
    s.maximum !== undefined &&
    s.minimum >= int32Min &&
    s.maximum <= int32Max;
  if (s.format !== undefined && s.format !== 'int32') {
    problems.push(`${at}: an integer format must be int32 or int64`);
  } else if (!bounded) {
    problems.push(
      `${at}: an integer that can exceed 2^31 needs format: int64 (Int64()), or a minimum and maximum within 32 bits`,
    );
  }
}

function checkListType(s: JsonSchemaProps, at: string, problems: string[]): void {
  const listType = s['x-kubernetes-list-type'];
  const keys = s['x-kubernetes-list-map-keys'];
  if ((listType !== undefined || keys !== undefined) && s.type !== 'array') {
    problems.push(`${at}: x-kubernetes-list-type applies to arrays only`);
    return;
  }
  if (keys !== undefined && listType !== 'map') {
    problems.push(`${at}: x-kubernetes-list-map-keys needs x-kubernetes-list-type: map`);
  }
  if (listType !== 'map') return;
  const items = s.items;
  if (!keys) {
    problems.push(`${at}: x-kubernetes-list-type: map needs x-kubernetes-list-map-keys`);
    return;
  }
  if (items?.type !== 'object') {
    problems.push(`${at}: x-kubernetes-list-type: map needs object items`);
    return;
  }
  for (const k of keys) {
    const prop = items.properties?.[k];
    if (!prop) problems.push(`${at}: list map key ${k} is not a property of the items`);
    else if (!items.required?.includes(k) && prop.default === undefined) {
      problems.push(`${at}: list map key ${k} must be required or have a default`);
    }
  }
}
