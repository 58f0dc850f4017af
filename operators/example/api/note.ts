// Note: a test-only kind whose controller writes the note's text to a file. It exercises the
// controller runtime end to end without any cloud backend, and is the kind the guide uses.
import Type from 'typebox';
import {
  DeletionPolicy,
  Immutable,
  Int64,
  StandardStatus,
  defineKind,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';

export const Note = defineKind({
  group: 'example.kcloud.io',
  version: 'v1alpha1',
  kind: 'Note',
  plural: 'notes',
  shortNames: ['note'],
  scope: 'Namespaced',
  description:
    'Note is a piece of text that its controller writes to a file. It is an example kind used by tests and the guide to show how a kcloud controller works.',
  spec: Type.Object(
    {
      text: Type.String({
        description: 'The text to write to the file, up to 64 KiB.',
        maxLength: 65536,
      }),
      fileName: Type.Optional(
        Immutable(
          Type.String({
            description:
              'Name of the file to write, in lower case. It cannot be changed once the Note exists, and must not end in .tmp.',
            pattern: '^[a-z0-9][a-z0-9._-]{0,62}$',
          }),
          'fileName is immutable',
        ),
      ),
      deletionPolicy: Type.Optional(
        DeletionPolicy(
          'What happens to the file when the Note is deleted: Delete removes it, Retain leaves it in place.',
        ),
      ),
    },
    { description: 'NoteSpec is the desired state of a Note: its text and where it goes.' },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      path: Type.Optional(
        Type.String({ description: 'Path of the file the text was written to.' }),
      ),
      size: Type.Optional(Int64({ description: 'Size of the written file in bytes.', minimum: 0 })),
      checksum: Type.Optional(
        Type.String({
          description: 'SHA-256 of the file contents, as 64 lower-case hex digits.',
          pattern: '^[0-9a-f]{64}$',
        }),
      ),
    },
    { description: 'NoteStatus is the observed state of a Note, written by its controller.' },
  ),
  specValidations: [
    {
      rule: "!has(self.fileName) || !self.fileName.endsWith('.tmp')",
      message: 'fileName must not end in .tmp',
    },
    // The transition rule on fileName runs only when both versions have it; this one stops it
    // from being added or removed after creation.
    { rule: 'has(self.fileName) == has(oldSelf.fileName)', message: 'fileName is immutable' },
  ],
  printerColumns: [
    {
      name: 'File',
      type: 'string',
      jsonPath: '.status.path',
      description: 'Path of the file the text was written to.',
    },
    {
      name: 'Size',
      type: 'integer',
      jsonPath: '.status.size',
      description: 'Size of the written file in bytes.',
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type NoteSpec = SpecOf<typeof Note>;
export type NoteStatus = StatusOf<typeof Note>;
export type NoteObject = ObjectOf<typeof Note>;
