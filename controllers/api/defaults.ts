// Schema defaulting as the API server does it for custom resources (apiextensions-apiserver's
// PruneNonNullableNullsWithoutDefaults, then Default): a missing field, or a null in a field
// that is not nullable, gets the field's default; other such nulls are dropped. Defaults apply
// only inside objects that exist: an absent parent is not created.
import type { JsonSchemaProps } from './structural.ts';

/** A copy of `value` with the schema's defaults applied. */
export function withSchemaDefaults<T>(value: T, schema: JsonSchemaProps): T {
  const copy = structuredClone(value);
  pruneNulls(copy, schema);
  applyDefaults(copy, schema);
  return copy;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fieldSchema(s: JsonSchemaProps | undefined, key: string): JsonSchemaProps | undefined {
  return s?.properties?.[key] ?? s?.additionalProperties;
}

function pruneNulls(x: unknown, s: JsonSchemaProps | undefined): void {
  if (isObject(x)) {
    for (const [k, v] of Object.entries(x)) {
      const fs = fieldSchema(s, k);
      if (v === null && fs !== undefined && fs.nullable !== true && fs.default === undefined) {
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- keys come from the object itself
        delete x[k];
      } else {
        pruneNulls(v, fs);
      }
    }
  } else if (Array.isArray(x)) {
    for (const item of x) pruneNulls(item, s?.items);
  }
}

function nonNullableNull(v: unknown, s: JsonSchemaProps | undefined): boolean {
  return v === null && s !== undefined && s.nullable !== true;
}

function applyDefaults(x: unknown, s: JsonSchemaProps | undefined): void {
  if (s === undefined) return;
  if (isObject(x)) {
    for (const [k, prop] of Object.entries(s.properties ?? {})) {
      if (prop.default === undefined) continue;
      if (!(k in x) || nonNullableNull(x[k], prop)) x[k] = structuredClone(prop.default);
    }
    for (const k of Object.keys(x)) {
      const prop = s.properties?.[k];
      if (prop) {
        applyDefaults(x[k], prop);
      } else if (s.additionalProperties) {
        const values = s.additionalProperties;
        if (nonNullableNull(x[k], values) && values.default !== undefined) {
          x[k] = structuredClone(values.default);
        }
        applyDefaults(x[k], values);
      }
    }
  } else if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      if (nonNullableNull(x[i], s.items) && s.items?.default !== undefined) {
        x[i] = structuredClone(s.items.default);
      }
      applyDefaults(x[i], s.items);
    }
  }
}
