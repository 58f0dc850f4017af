import { describe, expect, it } from '@jest/globals';
import Type, { type Static } from 'typebox';
import {
  Conditions,
  DeletionPolicy,
  Immutable,
  Int64,
  IntOrString,
  LocalObjectReference,
  ObservedGeneration,
  Phase,
  Quantity,
  StringEnum,
} from './schema.ts';
import { toStructural } from './structural.ts';
import { compileValidator } from './validate.ts';

describe('StringEnum', () => {
  it('is a string with an enum, never anyOf or const', () => {
    const s = toStructural(
      StringEnum(['a', 'b'], { description: 'A or B.', default: 'a' }),
      'spec.choice',
    );
    expect(s).toEqual({ description: 'A or B.', type: 'string', enum: ['a', 'b'], default: 'a' });
  });

  it('types the field as the union of its values', () => {
    const T = Type.Object(
      { c: StringEnum(['x', 'y'], { description: 'X or Y.' }) },
      { description: 'T.' },
    );
    const ok: Static<typeof T> = { c: 'y' };
    // @ts-expect-error 'z' is not one of the values
    const bad: Static<typeof T> = { c: 'z' };
    const check = compileValidator(toStructural(T, 'spec'));
    expect(check(ok)).toEqual({ ok: true });
    expect(check(bad)).toEqual({
      ok: false,
      errors: ['c: Unsupported value: "z": supported values: "x", "y"'],
    });
  });
});

describe('Conditions', () => {
  const s = toStructural(Conditions(), 'status.conditions');

  it('is a list map keyed by type', () => {
    expect(s.type).toBe('array');
    expect(s['x-kubernetes-list-type']).toBe('map');
    expect(s['x-kubernetes-list-map-keys']).toEqual(['type']);
    expect(s.description).toMatch(/\S/);
  });

  it('has the fields of metav1.Condition, required as there', () => {
    const item = s.items;
    expect(Object.keys(item?.properties ?? {})).toEqual([
      'lastTransitionTime',
      'message',
      'observedGeneration',
      'reason',
      'status',
      'type',
    ]);
    expect(item?.required).toEqual(['lastTransitionTime', 'message', 'reason', 'status', 'type']);
    expect(item?.properties?.status).toMatchObject({
      type: 'string',
      enum: ['True', 'False', 'Unknown'],
    });
    expect(item?.properties?.lastTransitionTime).toMatchObject({
      type: 'string',
      format: 'date-time',
    });
    expect(item?.properties?.observedGeneration).toMatchObject({
      type: 'integer',
      format: 'int64',
      minimum: 0,
    });
  });

  it('accepts a real condition and rejects a bad reason and two of one type', () => {
    const check = compileValidator(s);
    const ready = {
      type: 'Ready',
      status: 'True',
      reason: 'Written',
      message: '',
      lastTransitionTime: '2025-01-02T03:04:05Z',
    };
    expect(check([ready])).toEqual({ ok: true });
    expect(check([{ ...ready, reason: 'not ok' }])).toEqual({
      ok: false,
      errors: ['[0].reason: must match pattern "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"'],
    });
    expect(check([ready, { ...ready, status: 'False' }])).toEqual({
      ok: false,
      errors: ['[1]: Duplicate value: {"type":"Ready"}'],
    });
  });
});

describe('standard fields', () => {
  it('ObservedGeneration is a non-negative int64', () => {
    expect(toStructural(ObservedGeneration(), 'status.observedGeneration')).toMatchObject({
      type: 'integer',
      format: 'int64',
      minimum: 0,
    });
  });

  it('Int64 keeps its bounds and description', () => {
    expect(toStructural(Int64({ description: 'Bytes.', maximum: 2 ** 40 }), 'x')).toEqual({
      description: 'Bytes.',
      type: 'integer',
      format: 'int64',
      maximum: 2 ** 40,
    });
  });

  it('Phase lists its values in the enum and the description', () => {
    const s = toStructural(Phase(['Pending', 'Ready']), 'status.phase');
    expect(s).toMatchObject({ type: 'string', enum: ['Pending', 'Ready'] });
    expect(s.description).toContain('Pending, Ready');
  });

  it('LocalObjectReference is an atomic {name}', () => {
    const s = toStructural(LocalObjectReference('VPC', 'The VPC the subnet is in.'), 'spec.vpcRef');
    expect(s).toMatchObject({
      description: 'The VPC the subnet is in.',
      type: 'object',
      required: ['name'],
      'x-kubernetes-map-type': 'atomic',
    });
    expect(s.properties?.name).toMatchObject({ type: 'string', minLength: 1 });
    expect(s.properties?.name?.description).toContain('VPC');
  });

  it('DeletionPolicy is Delete or Retain, Delete by default', () => {
    expect(toStructural(DeletionPolicy(), 'spec.deletionPolicy')).toMatchObject({
      type: 'string',
      enum: ['Delete', 'Retain'],
      default: 'Delete',
    });
  });

  it('Quantity and IntOrString are int-or-string', () => {
    for (const schema of [Quantity('Disk size.'), IntOrString('Port.')]) {
      expect(toStructural(schema, 'spec.x')).toMatchObject({
        anyOf: [{ type: 'integer' }, { type: 'string' }],
        'x-kubernetes-int-or-string': true,
      });
    }
    const check = compileValidator(toStructural(Quantity('Disk size.'), 'spec.size'));
    expect(check('10Gi')).toEqual({ ok: true });
    expect(check(3)).toEqual({ ok: true });
    expect(check('ten').ok).toBe(false);
  });
});

describe('Immutable', () => {
  it('adds the transition rule after rules the field already has', () => {
    const base = Type.String({
      description: 'Zone.',
      'x-kubernetes-validations': [{ rule: "self != ''", message: 'zone is empty' }],
    });
    expect(toStructural(Immutable(base, 'zone is immutable'), 'spec.zone')).toMatchObject({
      'x-kubernetes-validations': [
        { rule: "self != ''", message: 'zone is empty' },
        { rule: 'self == oldSelf', message: 'zone is immutable' },
      ],
    });
    expect((base as unknown as Record<string, unknown>)['x-kubernetes-validations']).toHaveLength(
      1,
    );
  });

  it('keeps an optional field optional', () => {
    const T = Type.Object(
      {
        a: Immutable(Type.Optional(Type.String({ description: 'A.' })), 'a is immutable'),
        b: Type.String({ description: 'B.' }),
      },
      { description: 'T.' },
    );
    expect(toStructural(T, 'spec').required).toEqual(['b']);
  });
});
