import { describe, expect, it } from '@jest/globals';
import { Note, type NoteObject } from './index.ts';

function note(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown {
  return {
    apiVersion: 'example.kcloud.io/v1alpha1',
    kind: 'Note',
    metadata: { name: 'hello', namespace: 'default' },
    spec,
    ...extra,
  };
}

describe('the Note kind', () => {
  const crd = Note.crd();
  const version = crd.spec.versions[0];
  const root = version?.schema.openAPIV3Schema;
  const spec = root?.properties?.spec;
  const status = root?.properties?.status;

  it('is served as example.kcloud.io/v1alpha1 notes, namespaced', () => {
    expect(Note.apiVersion).toBe('example.kcloud.io/v1alpha1');
    expect(Note.resource).toEqual({
      group: 'example.kcloud.io',
      version: 'v1alpha1',
      plural: 'notes',
      namespaced: true,
    });
    expect(crd.metadata.name).toBe('notes.example.kcloud.io');
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names.shortNames).toEqual(['note']);
    expect(crd.spec.names.categories).toEqual(['kcloud']);
    expect(version?.subresources).toEqual({ status: {} });
  });

  it('prints File, Size, Phase, Ready and Age', () => {
    expect(version?.additionalPrinterColumns.map((c) => [c.name, c.type, c.jsonPath])).toEqual([
      ['File', 'string', '.status.path'],
      ['Size', 'integer', '.status.size'],
      ['Phase', 'string', '.status.phase'],
      ['Ready', 'string', '.status.conditions[?(@.type=="Ready")].status'],
      ['Age', 'date', '.metadata.creationTimestamp'],
    ]);
  });

  it('carries its CEL rules: .tmp names refused, fileName immutable', () => {
    expect(spec?.['x-kubernetes-validations']).toEqual([
      {
        rule: "!has(self.fileName) || !self.fileName.endsWith('.tmp')",
        message: 'fileName must not end in .tmp',
      },
      { rule: 'has(self.fileName) == has(oldSelf.fileName)', message: 'fileName is immutable' },
    ]);
    expect(spec?.properties?.fileName?.['x-kubernetes-validations']).toEqual([
      { rule: 'self == oldSelf', message: 'fileName is immutable' },
    ]);
  });

  it('has the spec and status fields with their bounds', () => {
    expect(spec?.required).toEqual(['text']);
    expect(spec?.properties?.text).toMatchObject({ type: 'string', maxLength: 65536 });
    expect(spec?.properties?.fileName?.pattern).toBe('^[a-z0-9][a-z0-9._-]{0,62}$');
    expect(spec?.properties?.deletionPolicy).toMatchObject({
      enum: ['Delete', 'Retain'],
      default: 'Delete',
    });
    expect(status?.properties?.size).toMatchObject({ type: 'integer', format: 'int64' });
    expect(status?.properties?.observedGeneration).toMatchObject({ format: 'int64' });
    expect(status?.properties?.phase?.enum).toEqual([
      'Pending',
      'Provisioning',
      'Ready',
      'Failed',
      'Deleting',
      'Unknown',
    ]);
    expect(status?.properties?.conditions?.['x-kubernetes-list-map-keys']).toEqual(['type']);
    expect(Object.keys(status?.properties ?? {})).toEqual([
      'checksum',
      'conditions',
      'observedGeneration',
      'path',
      'phase',
      'size',
    ]);
  });

  it('accepts a good Note', () => {
    expect(Note.validate(note({ text: 'hello', fileName: 'hello.txt' }))).toEqual({ ok: true });
    expect(
      Note.validate(
        note(
          { text: 'x' },
          {
            status: {
              phase: 'Ready',
              path: '/var/notes/hello',
              size: 1,
              checksum: 'a'.repeat(64),
              observedGeneration: 1,
              conditions: [
                {
                  type: 'Ready',
                  status: 'True',
                  reason: 'Written',
                  message: 'written',
                  lastTransitionTime: '2025-01-02T03:04:05Z',
                },
              ],
            },
          },
        ),
      ),
    ).toEqual({ ok: true });
  });

  it('rejects a bad Note, saying which field is wrong', () => {
    expect(
      Note.validate(
        note({ fileName: 'Bad Name', deletionPolicy: 'Keep' }, { status: { size: -1 } }),
      ),
    ).toEqual({
      ok: false,
      errors: [
        'spec.text: Required value',
        'spec.deletionPolicy: Unsupported value: "Keep": supported values: "Delete", "Retain"',
        'spec.fileName: must match pattern "^[a-z0-9][a-z0-9._-]{0,62}$"',
        'status.size: must be >= 0',
      ],
    });
    expect(Note.validate(note({ text: 'x'.repeat(65537) }))).toEqual({
      ok: false,
      errors: ['spec.text: must NOT have more than 65536 characters'],
    });
  });

  it('does not run CEL rules: a .tmp file name passes here and only the API server refuses it', () => {
    expect(Note.validate(note({ text: 'x', fileName: 'draft.tmp' }))).toEqual({ ok: true });
  });

  it('defaults deletionPolicy to Delete', () => {
    const obj: NoteObject = {
      apiVersion: 'example.kcloud.io/v1alpha1',
      kind: 'Note',
      metadata: { name: 'hello' },
      spec: { text: 'hi' },
    };
    expect(Note.withDefaults(obj).spec).toEqual({ text: 'hi', deletionPolicy: 'Delete' });
    expect(
      Note.withDefaults({ ...obj, spec: { text: 'hi', deletionPolicy: 'Retain' } }).spec,
    ).toEqual({ text: 'hi', deletionPolicy: 'Retain' });
  });
});
