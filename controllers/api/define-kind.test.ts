import { describe, expect, it } from '@jest/globals';
import Type from 'typebox';
import { phaseColumn, readyColumn } from './columns.ts';
import { defineKind, type KindOptions, type ObjectOf, type SpecOf } from './define-kind.ts';
import { Conditions, Phase } from './schema.ts';
import { StructuralSchemaError } from './structural.ts';

const spec = Type.Object(
  {
    cidr: Type.String({ description: 'CIDR block of the network.' }),
    mtu: Type.Optional(
      Type.Integer({ description: 'MTU.', minimum: 1280, maximum: 9000, default: 1500 }),
    ),
  },
  { description: 'Desired state.' },
);
const status = Type.Object(
  {
    phase: Type.Optional(Phase(['Pending', 'Ready'])),
    conditions: Type.Optional(Conditions()),
  },
  { description: 'Observed state.' },
);

const base: KindOptions<'net.test.kcloud.io', 'v1beta1', 'Net', typeof spec, typeof status> = {
  group: 'net.test.kcloud.io',
  version: 'v1beta1',
  kind: 'Net',
  plural: 'nets',
  scope: 'Cluster',
  categories: ['network', 'kcloud'],
  description: 'Net is a test network.',
  spec,
  status,
  printerColumns: [phaseColumn(), readyColumn()],
  source: import.meta.url,
};

function problems(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof StructuralSchemaError) return err.problems;
    throw err;
  }
  return [];
}

describe('defineKind', () => {
  const Net = defineKind(base);

  it('names the API it serves', () => {
    expect(Net.apiVersion).toBe('net.test.kcloud.io/v1beta1');
    expect(Net.resource).toEqual({
      group: 'net.test.kcloud.io',
      version: 'v1beta1',
      plural: 'nets',
      namespaced: false,
    });
    expect(Net.source).toBe(import.meta.url);
  });

  it('builds a CRD with the kcloud category first, the status subresource and Age last', () => {
    const crd = Net.crd();
    expect(crd.metadata.name).toBe('nets.net.test.kcloud.io');
    expect(crd.spec.scope).toBe('Cluster');
    expect(crd.spec.names).toEqual({
      kind: 'Net',
      listKind: 'NetList',
      plural: 'nets',
      singular: 'net',
      categories: ['kcloud', 'network'],
    });
    const [version] = crd.spec.versions;
    expect(version?.subresources).toEqual({ status: {} });
    expect(version?.additionalPrinterColumns.map((c) => c.name)).toEqual(['Phase', 'Ready', 'Age']);
    const root = version?.schema.openAPIV3Schema;
    expect(root?.description).toBe('Net is a test network.');
    expect(root?.properties?.metadata).toEqual({ type: 'object' });
    expect(root?.required).toEqual(['spec']);
  });

  it('hands out a fresh copy of the CRD each time', () => {
    const first = Net.crd();
    first.spec.names.kind = 'Changed';
    expect(Net.crd().spec.names.kind).toBe('Net');
  });

  it('types objects from the schemas', () => {
    const obj: ObjectOf<typeof Net> = {
      apiVersion: 'net.test.kcloud.io/v1beta1',
      kind: 'Net',
      metadata: { name: 'n' },
      spec: { cidr: '10.0.0.0/16' },
    };
    const cidr: SpecOf<typeof Net>['cidr'] = obj.spec.cidr;
    // @ts-expect-error the apiVersion is the kind's own
    const wrong: ObjectOf<typeof Net>['apiVersion'] = 'v1';
    expect([cidr, wrong]).toEqual(['10.0.0.0/16', 'v1']);
    expect(Net.withDefaults(obj).spec).toEqual({ cidr: '10.0.0.0/16', mtu: 1500 });
    expect(obj.spec).toEqual({ cidr: '10.0.0.0/16' });
  });

  it('validates apiVersion, kind and name besides the schema', () => {
    expect(
      Net.validate({ apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: { cidr: 'x', mtu: 1 } }),
    ).toEqual({
      ok: false,
      errors: [
        'apiVersion: Unsupported value: "v1": supported values: "net.test.kcloud.io/v1beta1"',
        'kind: Unsupported value: "Pod": supported values: "Net"',
        'spec.mtu: must be >= 1280',
        'metadata.name: Required value: name or generateName is required',
      ],
    });
    expect(Net.validate('not an object')).toEqual({
      ok: false,
      errors: ['<root>: must be object'],
    });
  });

  it('fails with every problem of the kind, naming fields and columns', () => {
    expect(
      problems(() =>
        defineKind({
          ...base,
          kind: 'net',
          description: ' ',
          spec: Type.Object({ cidr: Type.String() }, { description: 'Desired state.' }),
          printerColumns: [
            { name: 'CIDR', type: 'string', jsonPath: '.spec.cidrs' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        }),
      ),
    ).toEqual([
      'kind net: must be CamelCase',
      'spec.cidr: needs a description (kubectl explain shows it)',
      'the kind needs a description',
      'printer column CIDR: .spec.cidrs does not name a field of the schema',
      'printer column Age: Age is added last to every kind',
    ]);
  });

  it('says which kind failed', () => {
    expect(() => defineKind({ ...base, spec: Type.Object({ a: Type.String() }) })).toThrow(
      /^kind Net \(net\.test\.kcloud\.io\/v1beta1\):\n {2}spec: needs a description/,
    );
  });

  it('refuses a format the validator cannot check', () => {
    const withUri = Type.Object(
      { url: Type.String({ description: 'URL.', format: 'uri' }) },
      { description: 'Desired state.' },
    );
    expect(problems(() => defineKind({ ...base, spec: withUri }))).toEqual([
      expect.stringMatching(
        /^the schema cannot be compiled for validation: .*unknown format "uri"/,
      ),
    ]);
  });
});
