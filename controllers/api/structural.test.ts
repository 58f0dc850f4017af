import { describe, expect, it } from '@jest/globals';
import Type, { type TSchema } from 'typebox';
import { Int64, StringEnum } from './schema.ts';
import { StructuralSchemaError, toStructural } from './structural.ts';

function problemsOf(schema: TSchema, path = 'spec'): readonly string[] {
  try {
    toStructural(schema, path);
  } catch (err) {
    if (err instanceof StructuralSchemaError) return err.problems;
    throw err;
  }
  return [];
}

const described = (props: Parameters<typeof Type.Object>[0]) =>
  Type.Object(props, { description: 'Test spec.' });

describe('toStructural', () => {
  it('accepts a described schema and writes description first, properties sorted', () => {
    const s = toStructural(
      described({
        zeta: Type.String({ description: 'Z.', minLength: 1 }),
        alpha: Type.Boolean({ description: 'A.' }),
      }),
      'spec',
    );
    expect(JSON.stringify(s)).toBe(
      JSON.stringify({
        description: 'Test spec.',
        type: 'object',
        required: ['alpha', 'zeta'],
        properties: {
          alpha: { description: 'A.', type: 'boolean' },
          zeta: { description: 'Z.', type: 'string', minLength: 1 },
        },
      }),
    );
  });

  it('rejects a field without a description, naming its path', () => {
    const schema = described({
      network: Type.Object(
        { cidr: Type.String(), name: Type.String({ description: '  ' }) },
        { description: 'Network.' },
      ),
    });
    expect(problemsOf(schema)).toEqual([
      'spec.network.cidr: needs a description (kubectl explain shows it)',
      'spec.network.name: needs a description (kubectl explain shows it)',
    ]);
    expect(() => toStructural(schema, 'spec')).toThrow(/spec\.network\.cidr: needs a description/);
  });

  it('requires descriptions inside list items but not on the items schema itself', () => {
    const schema = described({
      rules: Type.Array(Type.Object({ port: Type.Integer({ minimum: 1, maximum: 65535 }) }), {
        description: 'Rules.',
      }),
    });
    expect(problemsOf(schema)).toEqual([
      'spec.rules[*].port: needs a description (kubectl explain shows it)',
    ]);
  });

  it('rejects additionalProperties: false', () => {
    const schema = Type.Object(
      { a: Type.String({ description: 'A.' }) },
      { description: 'Closed.', additionalProperties: false },
    );
    expect(problemsOf(schema)).toEqual([
      'spec: additionalProperties must be a schema: additionalProperties: false is not allowed (the API server prunes unknown fields)',
    ]);
  });

  it('rejects a union of literals and a lone literal', () => {
    const schema = described({
      size: Type.Union([Type.Literal('small'), Type.Literal('large')], { description: 'Size.' }),
      mode: Type.Literal('fixed', { description: 'Mode.' }),
    });
    expect(problemsOf(schema)).toEqual([
      'spec.mode: const is not allowed in a CRD schema; use StringEnum([...]) for a fixed set of values',
      'spec.size: a union of literals is not allowed in a CRD schema (anyOf of const); use StringEnum([...])',
    ]);
  });

  it('rejects other unions, untyped fields and tuples', () => {
    const schema = described({
      either: Type.Union([Type.String(), Type.Integer()], { description: 'Either.' }),
      maybe: Type.Union([Type.String(), Type.Null()], { description: 'Maybe.' }),
      anything: Type.Unknown({ description: 'Anything.' }),
    });
    expect(problemsOf(schema)).toEqual([
      'spec.anything: needs a type (use StringEnum([...]) for a fixed set of strings)',
      'spec.either.anyOf[0]: type is not allowed inside allOf/anyOf/oneOf/not (not structural)',
      'spec.either.anyOf[1]: type is not allowed inside allOf/anyOf/oneOf/not (not structural)',
      'spec.either: needs a type (use StringEnum([...]) for a fixed set of strings)',
      'spec.maybe: a union with null is not allowed; mark the field nullable: true',
    ]);
  });

  it('requires int64 for integers that can exceed 32 bits', () => {
    const schema = described({
      count: Type.Integer({ description: 'Unbounded.' }),
      small: Type.Integer({ description: 'Bounded.', minimum: 0, maximum: 100 }),
      big: Int64({ description: 'Bytes.' }),
      odd: Type.Integer({ description: 'Odd format.', format: 'uint8', minimum: 0, maximum: 1 }),
    });
    expect(problemsOf(schema)).toEqual([
      'spec.count: an integer that can exceed 2^31 needs format: int64 (Int64()), or a minimum and maximum within 32 bits',
      'spec.odd: an integer format must be int32 or int64',
    ]);
  });

  it('leaves out $id, $schema and TypeBox markers', () => {
    const schema = Type.Object(
      { name: Type.Optional(Type.String({ description: 'Name.' })) },
      { description: 'With ids.', $id: 'Thing', $schema: 'https://json-schema.org/draft/2020-12' },
    );
    const s = toStructural(schema, 'spec');
    expect(s).toEqual({
      description: 'With ids.',
      type: 'object',
      properties: { name: { description: 'Name.', type: 'string' } },
    });
    const keys: (string | symbol)[] = [];
    const walk = (v: unknown) => {
      if (typeof v !== 'object' || v === null) return;
      keys.push(...Reflect.ownKeys(v));
      for (const child of Object.values(v)) walk(child);
    };
    walk(s);
    expect(
      keys.filter((k) => typeof k === 'symbol' || k.startsWith('~') || k.startsWith('$')),
    ).toEqual([]);
  });

  it('turns a TypeBox record into a map', () => {
    const s = toStructural(
      Type.Record(Type.String(), Type.String({ maxLength: 63 }), { description: 'Tags.' }),
      'spec.tags',
    );
    expect(s).toEqual({
      description: 'Tags.',
      type: 'object',
      additionalProperties: { type: 'string', maxLength: 63 },
    });
  });

  it('passes Kubernetes extensions through', () => {
    const s = toStructural(
      Type.Array(Type.String(), {
        description: 'Names.',
        'x-kubernetes-list-type': 'set',
        'x-kubernetes-validations': [{ rule: 'size(self) < 10', message: 'too many' }],
      }),
      'spec.names',
    );
    expect(s['x-kubernetes-list-type']).toBe('set');
    expect(s['x-kubernetes-validations']).toEqual([
      { rule: 'size(self) < 10', message: 'too many' },
    ]);
  });

  it('checks list map keys and unknown extensions', () => {
    const schema = described({
      ports: Type.Array(
        Type.Object({
          name: Type.Optional(Type.String({ description: 'Name.' })),
          mode: StringEnum(['tcp', 'udp'], { description: 'Mode.' }),
        }),
        {
          description: 'Ports.',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        },
      ),
      other: Type.String({ description: 'Other.', 'x-kubernetes-made-up': true }),
    });
    expect(problemsOf(schema)).toEqual([
      'spec.other: x-kubernetes-made-up is not a Kubernetes schema extension',
      'spec.ports: list map key name must be required or have a default',
    ]);
  });

  it('rejects keywords a CRD cannot express, saying what to use', () => {
    const schema = described({
      ids: Type.Array(Type.String(), { description: 'IDs.', uniqueItems: true }),
      low: Type.Number({ description: 'Low.', exclusiveMinimum: 0 }),
    });
    expect(problemsOf(schema)).toEqual([
      'spec.ids: uniqueItems is not allowed in a CRD schema; use x-kubernetes-list-type: set',
      'spec.low: exclusiveMinimum must be a boolean (OpenAPI v3.0): set minimum/maximum and exclusiveMinimum: true',
    ]);
  });
});
