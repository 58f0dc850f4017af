// The example operator's one flag: where its Note files go.
import path from 'node:path';
import { stringFlag, type FlagSpecs, type FlagValues } from '../../controllers/manager/index.ts';

export const exampleFlags = {
  'notes-dir': {
    type: 'string',
    default: path.resolve('.local/notes'),
    description: 'the file root of the test-only example operator',
  },
} satisfies FlagSpecs;

export interface ExampleOperatorConfig {
  notesDir: string;
}

export function configureExample(values: FlagValues): ExampleOperatorConfig {
  const notesDir = stringFlag(values, 'notes-dir');
  if (notesDir === '') throw new Error('--notes-dir must name a directory');
  return { notesDir };
}
