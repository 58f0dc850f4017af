import { describe, expect, it } from '@jest/globals';
import { compileValidator, isDateTime } from './validate.ts';

describe('isDateTime', () => {
  it('accepts RFC 3339 times as the API server does', () => {
    for (const ok of [
      '2025-01-02T03:04:05Z',
      '2025-01-02t03:04:05z',
      '2025-01-02T03:04:05.123456Z',
      '2024-02-29T23:59:59+05:30',
    ]) {
      expect([ok, isDateTime(ok)]).toEqual([ok, true]);
    }
  });

  it('rejects dates and times that do not exist or lack a zone', () => {
    for (const bad of [
      '2025-01-02',
      '2025-01-02T03:04:05',
      '2025-02-29T00:00:00Z',
      '2025-13-01T00:00:00Z',
      '2025-01-02T24:00:00Z',
      '2025-01-02 03:04:05Z',
      'yesterday',
    ]) {
      expect([bad, isDateTime(bad)]).toEqual([bad, false]);
    }
  });
});

describe('compileValidator', () => {
  const check = compileValidator({
    type: 'object',
    properties: {
      name: { type: 'string', maxLength: 5 },
      tags: { type: 'object', additionalProperties: { type: 'string' } },
      ports: {
        type: 'array',
        items: {
          type: 'object',
          required: ['port'],
          properties: { port: { type: 'integer', minimum: 1, maximum: 65535 } },
        },
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['port'],
      },
      zones: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
      raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      when: { type: 'string', format: 'date-time' },
    },
  });

  it('accepts a valid value, maps of any keys and preserved unknown fields', () => {
    expect(
      check({
        name: 'a',
        tags: { team: 'x', 'a/b': 'y' },
        ports: [{ port: 80 }, { port: 443 }],
        zones: ['a', 'b'],
        raw: { anything: [1, { goes: true }] },
        when: '2025-01-02T03:04:05Z',
      }),
    ).toEqual({ ok: true });
  });

  it('reports each error once, with a field path', () => {
    expect(
      check({
        name: 'toolong',
        tags: { 'a/b': 1 },
        ports: [{ port: 80 }, { port: 0 }, {}, { port: 80 }],
        zones: ['a', 'a'],
        when: 'now',
        extra: true,
      }),
    ).toEqual({
      ok: false,
      errors: [
        'extra: field not declared in schema',
        'name: must NOT have more than 5 characters',
        'tags.a/b: must be string',
        'ports[1].port: must be >= 1',
        'ports[2].port: Required value',
        'ports[3]: Duplicate value: {"port":80}',
        'zones[1]: Duplicate value: "a"',
        'when: must match format "date-time"',
      ],
    });
  });
});
