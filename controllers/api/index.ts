// Defining kcloud kinds: TypeBox schemas in, TypeScript types, CRDs and validation out.
export {
  defineKind,
  type Kind,
  type KindInfo,
  type KindObject,
  type KindOptions,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from './define-kind.ts';
export {
  Conditions,
  DeletionPolicy,
  Immutable,
  Int64,
  IntOrString,
  LocalObjectReference,
  ObservedGeneration,
  Phase,
  Quantity,
  StandardStatus,
  WithValidations,
  StringEnum,
  type EnumOptions,
  type Int64Options,
} from './schema.ts';
export { ageColumn, phaseColumn, readyColumn, type PrinterColumn } from './columns.ts';
export { kcloudCategory, type CustomResourceDefinition, type Scope } from './crd.ts';
export {
  StructuralSchemaError,
  toStructural,
  type JsonSchemaProps,
  type ValidationRule,
} from './structural.ts';
export { type ValidationResult } from './validate.ts';
export {
  AnyIPv4CIDR,
  IPv4Address,
  IPv4CIDR,
  IPv4Range,
  MACAddress,
  ipv4Number,
} from './network-schema.ts';
