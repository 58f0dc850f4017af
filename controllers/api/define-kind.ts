// A kcloud kind is defined once, in TypeScript: its TypeBox schemas give the TypeScript types
// controllers use, the CRD the generator writes, and the validator unit tests use.
import type { ObjectMeta, ResourceRef } from '../kube/index.ts';
import type { Static, TObject } from 'typebox';
import { type PrinterColumn } from './columns.ts';
import {
  buildCrd,
  checkPrinterColumns,
  rootSchema,
  type CustomResourceDefinition,
  type Scope,
} from './crd.ts';
import { withSchemaDefaults } from './defaults.ts';
import {
  StructuralSchemaError,
  toStructural,
  type JsonSchemaProps,
  type ValidationRule,
} from './structural.ts';
import { compileValidator, type ValidationResult } from './validate.ts';

export interface KindOptions<
  Group extends string,
  Version extends string,
  KindName extends string,
  Spec extends TObject,
  Status extends TObject,
> {
  group: Group;
  version: Version;
  kind: KindName;
  plural: string;
  /** Defaults to the kind in lower case. */
  singular?: string;
  shortNames?: string[];
  scope: Scope;
  /** Extra categories; `kcloud` is always added. */
  categories?: string[];
  /** What the kind is, shown by `kubectl explain <plural>`. */
  description: string;
  spec: Spec;
  status: Status;
  /** CEL rules on the whole spec (x-kubernetes-validations), e.g. relations between fields. */
  specValidations?: ValidationRule[];
  /** Columns for `kubectl get`; Age is always added last. */
  printerColumns?: PrinterColumn[];
  /** The module that defines the kind (`import.meta.url`), named in the generated CRD file. */
  source: string;
}

/** What the generator and generic code need of any kind. */
export interface KindInfo {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly apiVersion: string;
  readonly resource: ResourceRef;
  readonly source: string;
  /** The CustomResourceDefinition (apiextensions.k8s.io/v1) as a plain object; a fresh copy. */
  crd(): CustomResourceDefinition;
  /**
   * Checks an object against the structural schema, after applying defaults as the API server
   * does, and reports undeclared fields as strict field validation does. CEL rules
   * (x-kubernetes-validations) are NOT evaluated: only the API server runs them.
   */
  validate(obj: unknown): ValidationResult;
}

/** An object of a kind, as stored by the API server. */
export interface KindObject<ApiVersion extends string, KindName extends string, Spec, Status> {
  apiVersion: ApiVersion;
  kind: KindName;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

export interface Kind<
  Group extends string,
  Version extends string,
  KindName extends string,
  Spec extends TObject,
  Status extends TObject,
> extends KindInfo {
  readonly group: Group;
  readonly version: Version;
  readonly kind: KindName;
  readonly apiVersion: `${Group}/${Version}`;
  /** The TypeBox schemas the kind was defined with. */
  readonly schemas: { readonly spec: Spec; readonly status: Status };
  /** A copy of `obj` with the schema's defaults applied, as the API server would. */
  withDefaults(
    obj: KindObject<`${Group}/${Version}`, KindName, Static<Spec>, Static<Status>>,
  ): KindObject<`${Group}/${Version}`, KindName, Static<Spec>, Static<Status>>;
}

interface AnyKind {
  readonly apiVersion: string;
  readonly kind: string;
  readonly schemas: { readonly spec: TObject; readonly status: TObject };
}

export type SpecOf<K extends AnyKind> = Static<K['schemas']['spec']>;
export type StatusOf<K extends AnyKind> = Static<K['schemas']['status']>;
export type ObjectOf<K extends AnyKind> = KindObject<
  K['apiVersion'],
  K['kind'],
  SpecOf<K>,
  StatusOf<K>
>;

/**
 * Defines a kind. Throws StructuralSchemaError, naming each field path, when the schema cannot
 * be a Kubernetes structural schema or a field lacks a description.
 */
export function defineKind<
  const Group extends string,
  const Version extends string,
  const KindName extends string,
  Spec extends TObject,
  Status extends TObject,
>(
  options: KindOptions<Group, Version, KindName, Spec, Status>,
): Kind<Group, Version, KindName, Spec, Status> {
  const { group, version, kind, plural } = options;
  const apiVersion = `${group}/${version}` as const;
  const problems = checkNames(options);
  const spec = structural(options.spec, 'spec', problems);
  const status = structural(options.status, 'status', problems);
  if (options.specValidations?.length) {
    spec['x-kubernetes-validations'] = [
      ...(spec['x-kubernetes-validations'] ?? []),
      ...structuredClone(options.specValidations),
    ];
  }
  if (!options.description.trim()) problems.push('the kind needs a description');
  const schema = rootSchema(options.description, spec, status);
  const printerColumns = options.printerColumns ?? [];
  problems.push(...checkPrinterColumns(printerColumns, schema));
  const validator =
    problems.length === 0 ? validatorFor(schema, apiVersion, kind, problems) : undefined;
  if (problems.length > 0 || validator === undefined) {
    throw new StructuralSchemaError(problems, `kind ${kind} (${apiVersion})`);
  }

  const crd = buildCrd({
    group,
    version,
    kind,
    plural,
    singular: options.singular ?? kind.toLowerCase(),
    shortNames: options.shortNames ?? [],
    scope: options.scope,
    categories: options.categories ?? [],
    schema,
    printerColumns,
  });

  return {
    group,
    version,
    kind,
    plural,
    apiVersion,
    resource: { group, version, plural, namespaced: options.scope === 'Namespaced' },
    source: options.source,
    schemas: { spec: options.spec, status: options.status },
    crd: () => structuredClone(crd),
    validate: (obj) => validator(withSchemaDefaults(obj, schema)),
    withDefaults: (obj) => withSchemaDefaults(obj, schema),
  };
}

function structural(schema: TObject, path: string, problems: string[]): JsonSchemaProps {
  try {
    return toStructural(schema, path);
  } catch (err) {
    if (!(err instanceof StructuralSchemaError)) throw err;
    problems.push(...err.problems);
    return {};
  }
}

function checkNames(o: {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular?: string;
  shortNames?: string[];
}): string[] {
  const problems: string[] = [];
  const dnsName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
  const lower = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
  if (!dnsName.test(o.group)) problems.push(`group ${o.group}: must be a DNS name with a dot`);
  if (!/^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$/.test(o.version)) {
    problems.push(`version ${o.version}: must look like v1, v1beta1 or v1alpha1`);
  }
  if (!/^[A-Z][A-Za-z0-9]*$/.test(o.kind)) problems.push(`kind ${o.kind}: must be CamelCase`);
  for (const name of [o.plural, o.singular ?? o.kind.toLowerCase(), ...(o.shortNames ?? [])]) {
    if (!lower.test(name)) problems.push(`name ${name}: must be lower case`);
  }
  return problems;
}

// The validator checks what the API server checks besides the CRD schema: the object's
// apiVersion and kind, and that it has a name.
function validatorFor(
  schema: JsonSchemaProps,
  apiVersion: string,
  kind: string,
  problems: string[],
): ((obj: unknown) => ValidationResult) | undefined {
  const props = schema.properties ?? {};
  let check: (obj: unknown) => ValidationResult;
  try {
    check = compileValidator({
      ...schema,
      required: ['apiVersion', 'kind', 'metadata', 'spec'],
      properties: {
        ...props,
        apiVersion: { ...props.apiVersion, enum: [apiVersion] },
        kind: { ...props.kind, enum: [kind] },
      },
    });
  } catch (err) {
    problems.push(`the schema cannot be compiled for validation: ${String(err)}`);
    return undefined;
  }
  return (obj) => {
    const result = check(obj);
    const errors = result.ok ? [] : result.errors;
    const meta = (obj as { metadata?: unknown } | null)?.metadata;
    if (typeof meta === 'object' && meta !== null && !('name' in meta || 'generateName' in meta)) {
      errors.push('metadata.name: Required value: name or generateName is required');
    }
    return errors.length === 0 ? { ok: true } : { ok: false, errors };
  };
}
