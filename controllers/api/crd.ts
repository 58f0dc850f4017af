// Assembles the apiextensions.k8s.io/v1 CustomResourceDefinition of a kind from its structural
// spec and status schemas. kcloud kinds all look alike from the outside: one served version with
// the status subresource, the `kcloud` category, and Age as the last printer column.
import { ageColumn, type PrinterColumn } from './columns.ts';
import type { JsonSchemaProps } from './structural.ts';

export type Scope = 'Namespaced' | 'Cluster';

export interface CrdInput {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  scope: Scope;
  categories: string[];
  /** The root schema: apiVersion, kind, metadata, spec, status. */
  schema: JsonSchemaProps;
  printerColumns: PrinterColumn[];
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string };
  spec: {
    group: string;
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames?: string[];
      categories: string[];
    };
    scope: Scope;
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: JsonSchemaProps };
    }[];
  };
}

/** The category every kcloud kind is in: `kubectl get kcloud` lists them all. */
export const kcloudCategory = 'kcloud';

const apiVersionDescription =
  'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values.';
const kindDescription =
  'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. In CamelCase.';

/**
 * The root openAPIV3Schema: `metadata` stays `{type: object}` (the API server owns its schema),
 * and `spec` is required so that defaults inside it are always applied.
 */
export function rootSchema(
  description: string,
  spec: JsonSchemaProps,
  status: JsonSchemaProps,
): JsonSchemaProps {
  return {
    description,
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: { description: apiVersionDescription, type: 'string' },
      kind: { description: kindDescription, type: 'string' },
      metadata: { type: 'object' },
      spec,
      status,
    },
  };
}

export function buildCrd(input: CrdInput): CustomResourceDefinition {
  const categories = [kcloudCategory, ...input.categories.filter((c) => c !== kcloudCategory)];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${input.plural}.${input.group}` },
    spec: {
      group: input.group,
      names: {
        kind: input.kind,
        listKind: `${input.kind}List`,
        plural: input.plural,
        singular: input.singular,
        ...(input.shortNames.length > 0 ? { shortNames: [...input.shortNames] } : {}),
        categories,
      },
      scope: input.scope,
      versions: [
        {
          name: input.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [...input.printerColumns, ageColumn()].map(orderColumn),
          schema: { openAPIV3Schema: structuredClone(input.schema) },
        },
      ],
    },
  };
}

function orderColumn(c: PrinterColumn): PrinterColumn {
  return {
    name: c.name,
    type: c.type,
    ...(c.format !== undefined ? { format: c.format } : {}),
    jsonPath: c.jsonPath,
    ...(c.description !== undefined ? { description: c.description } : {}),
    ...(c.priority !== undefined ? { priority: c.priority } : {}),
  };
}

/**
 * Problems with printer columns: duplicate names, Age given by hand (it is always added last),
 * and a jsonPath that does not lead to a field of the schema.
 */
export function checkPrinterColumns(columns: PrinterColumn[], schema: JsonSchemaProps): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const c of columns) {
    const at = `printer column ${c.name}`;
    if (seen.has(c.name.toLowerCase())) problems.push(`${at}: the name is used twice`);
    seen.add(c.name.toLowerCase());
    if (c.name === ageColumn().name) problems.push(`${at}: Age is added last to every kind`);
    if (!resolvesInSchema(c.jsonPath, schema)) {
      problems.push(`${at}: ${c.jsonPath} does not name a field of the schema`);
    }
  }
  return problems;
}

// Follows `.a.b`, `.a[0].b` and `.a[?(...)].b` through properties and items; metadata is not
// described in a CRD schema, so anything below it is accepted.
function resolvesInSchema(jsonPath: string, schema: JsonSchemaProps): boolean {
  if (!jsonPath.startsWith('.')) return false;
  const steps = jsonPath.match(/\.[A-Za-z0-9_-]+|\[[^\]]*\]/g) ?? [];
  if (steps.join('') !== jsonPath) return false;
  let node: JsonSchemaProps | undefined = schema;
  for (const step of steps) {
    if (node === undefined) return false;
    if (step.startsWith('[')) {
      node = node.items;
      continue;
    }
    if (node.type === 'object' && node.properties === undefined && node !== schema) return true;
    node = node.properties?.[step.slice(1)];
  }
  return node !== undefined;
}
