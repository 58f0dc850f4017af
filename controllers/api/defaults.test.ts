import { describe, expect, it } from '@jest/globals';
import { withSchemaDefaults } from './defaults.ts';
import type { JsonSchemaProps } from './structural.ts';

const schema: JsonSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        policy: { type: 'string', default: 'Delete' },
        size: { type: 'integer', default: 3 },
        note: { type: 'string' },
        label: { type: 'string', nullable: true },
        network: {
          type: 'object',
          properties: { mtu: { type: 'integer', default: 1500 } },
        },
        ports: {
          type: 'array',
          items: {
            type: 'object',
            properties: { protocol: { type: 'string', default: 'TCP' } },
          },
        },
        limits: {
          type: 'object',
          additionalProperties: {
            type: 'object',
            properties: { burst: { type: 'integer', default: 0 } },
          },
        },
        options: { type: 'object', default: { verbose: false } },
      },
    },
  },
};

describe('withSchemaDefaults', () => {
  it('fills missing fields, inside lists and maps too, without creating absent parents', () => {
    const input = {
      spec: { size: 5, ports: [{}, { protocol: 'UDP' }], limits: { cpu: {} } },
    };
    expect(withSchemaDefaults(input, schema)).toEqual({
      spec: {
        policy: 'Delete',
        size: 5,
        ports: [{ protocol: 'TCP' }, { protocol: 'UDP' }],
        limits: { cpu: { burst: 0 } },
        options: { verbose: false },
      },
    });
    expect(input.spec).toEqual({ size: 5, ports: [{}, { protocol: 'UDP' }], limits: { cpu: {} } });
  });

  it('replaces a null with the default, drops other non-nullable nulls, keeps nullable ones', () => {
    expect(
      withSchemaDefaults(
        { spec: { policy: null, note: null, label: null, network: { mtu: null } } },
        schema,
      ),
    ).toEqual({
      spec: {
        policy: 'Delete',
        size: 3,
        label: null,
        network: { mtu: 1500 },
        options: { verbose: false },
      },
    });
  });

  it('gives each object its own copy of a default', () => {
    const a = withSchemaDefaults({ spec: {} }, schema) as { spec: { options: object } };
    const b = withSchemaDefaults({ spec: {} }, schema) as { spec: { options: object } };
    expect(a.spec.options).not.toBe(b.spec.options);
    expect(schema.properties?.spec?.properties?.options?.default).toEqual({ verbose: false });
  });
});
