// The example operator: Note objects written to files. Test-only: the manager hosts it only
// when asked (--operators=example); it shows every piece of a kcloud operator in small.
import { reconcilerRules, type Operator } from '../../controllers/manager/index.ts';
import { Note } from './api/index.ts';
import { addNoteController } from './controller/note-controller.ts';
import { configureExample, exampleFlags, type ExampleOperatorConfig } from './flags.ts';

export { Note, type NoteObject, type NoteSpec, type NoteStatus } from './api/index.ts';
export { NoteFiles, type NoteFile } from './backend/note-files.ts';
export {
  addNoteController,
  noteControllerName,
  noteFinalizer,
  noteResource,
  type NoteControllerOptions,
} from './controller/note-controller.ts';
export { configureExample, exampleFlags, type ExampleOperatorConfig } from './flags.ts';

/** The example operator as kcloud-manager hosts it (only when named in --operators). */
export const exampleOperator: Operator<ExampleOperatorConfig> = {
  name: 'example',
  testOnly: true,
  rbac: reconcilerRules(Note.group, [Note.plural]),
  flags: exampleFlags,
  configure: configureExample,
  register: (mgr, config) => {
    addNoteController(mgr, { notesDir: config.notesDir });
  },
};
