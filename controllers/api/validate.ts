// Validates objects against a structural schema with ajv, the way the API server's schema
// validation would decide, so unit tests catch a bad object without a cluster. CEL rules
// (x-kubernetes-validations) are NOT evaluated here: only the API server runs them.
import { Ajv, type AnySchemaObject, type ErrorObject, type SchemaValidateFunction } from 'ajv';
import type { JsonSchemaProps } from './structural.ts';

export type ValidationResult = { ok: true } | { ok: false; errors: string[] };

export type Validator = (value: unknown) => ValidationResult;

/**
 * Compiles `schema` into a validator. Fields the schema does not declare are errors, as with
 * the API server's strict field validation (kubectl's default); without it the server would
 * drop them silently. Throws if the schema uses a format or keyword this validator cannot check.
 */
export function compileValidator(schema: JsonSchemaProps): Validator {
  const check = ajv.compile(closeObjects(schema));
  return (value) => {
    if (check(value)) return { ok: true };
    const errors = [...new Set((check.errors ?? []).map((e) => describe(e, value)))];
    return { ok: false, errors };
  };
}

// Mirrors kube-openapi's strfmt IsDateTime, which the API server uses for format: date-time.
export function isDateTime(s: string): boolean {
  if (s.length < 4) return false;
  const parts = s.toLowerCase().split('t');
  const date = parts[0];
  const time = parts[1];
  if (date === undefined || time === undefined || !isDate(date)) return false;
  const m = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/.exec(time);
  return m !== null && (m[1] ?? '') <= '23' && (m[2] ?? '') <= '59' && (m[3] ?? '') <= '59';
}

function isDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth;
}

const ajv = new Ajv({
  allErrors: true,
  strictSchema: true,
  strictNumbers: true,
  // int-or-string fields put a string pattern next to anyOf, without a type of their own.
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  formats: {
    // Type formats: the type keyword already checks them.
    int32: true,
    int64: true,
    float: true,
    double: true,
    'date-time': isDateTime,
    datetime: isDateTime,
  },
});

for (const keyword of [
  'example',
  'externalDocs',
  'x-kubernetes-validations',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
]) {
  ajv.addKeyword({ keyword });
}

// set: no two equal items; map: no two items with the same values of the map keys.
const listTypeCheck: SchemaValidateFunction = (
  listType: string,
  data: unknown[],
  parent?: AnySchemaObject,
) => {
  if (listType === 'atomic') return true;
  const keys = (parent as JsonSchemaProps | undefined)?.['x-kubernetes-list-map-keys'] ?? [];
  const seen = new Set<string>();
  for (const [i, item] of data.entries()) {
    const key =
      listType === 'map' && typeof item === 'object' && item !== null
        ? Object.fromEntries(keys.map((k) => [k, (item as Record<string, unknown>)[k]]))
        : item;
    const id = canonicalJson(key);
    if (seen.has(id)) {
      listTypeCheck.errors = [
        { keyword: 'x-kubernetes-list-type', params: { index: i, value: key } },
      ];
      return false;
    }
    seen.add(id);
  }
  return true;
};
ajv.addKeyword({
  keyword: 'x-kubernetes-list-type',
  type: 'array',
  schemaType: 'string',
  validate: listTypeCheck,
});

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

// Adds additionalProperties: false wherever the schema lists properties, so an undeclared field
// is reported instead of ignored.
function closeObjects(s: JsonSchemaProps): JsonSchemaProps {
  const out: JsonSchemaProps = { ...s };
  if (s.properties) {
    out.properties = Object.fromEntries(
      Object.entries(s.properties).map(([k, v]) => [k, closeObjects(v)]),
    );
    const open =
      s['x-kubernetes-preserve-unknown-fields'] === true ||
      s['x-kubernetes-embedded-resource'] === true;
    if (!open && s.additionalProperties === undefined) {
      (out as Record<string, unknown>).additionalProperties = false;
    }
  }
  if (s.items) out.items = closeObjects(s.items);
  if (s.additionalProperties) out.additionalProperties = closeObjects(s.additionalProperties);
  return out;
}

function describe(e: ErrorObject, root: unknown): string {
  const path = fieldPath(e.instancePath, root);
  const child = (name: string) => (path === '' ? name : `${path}.${name}`);
  const at = path === '' ? '<root>' : path;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${child(String(params.missingProperty))}: Required value`;
    case 'additionalProperties':
      return `${child(String(params.additionalProperty))}: field not declared in schema`;
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      return `${at}: Unsupported value: ${JSON.stringify(valueAt(e.instancePath, root))}: supported values: ${allowed.join(', ')}`;
    }
    case 'x-kubernetes-list-type':
      return `${path}[${String(params.index)}]: Duplicate value: ${JSON.stringify(params.value)}`;
    default:
      return `${at}: ${e.message ?? e.keyword}`;
  }
}

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

// A JSON pointer as a field path: /spec/items/0/name -> spec.items[0].name.
function fieldPath(pointer: string, root: unknown): string {
  let path = '';
  let node: unknown = root;
  for (const seg of pointerSegments(pointer)) {
    if (Array.isArray(node)) {
      path += `[${seg}]`;
      node = node[Number(seg)];
    } else {
      path = path === '' ? seg : `${path}.${seg}`;
      node =
        typeof node === 'object' && node !== null
          ? (node as Record<string, unknown>)[seg]
          : undefined;
    }
  }
  return path;
}

function valueAt(pointer: string, root: unknown): unknown {
  let node: unknown = root;
  for (const seg of pointerSegments(pointer)) {
    node =
      typeof node === 'object' && node !== null
        ? (node as Record<string, unknown>)[seg]
        : undefined;
  }
  return node;
}
