// The example operator: Note objects written to files. Test-only: the manager hosts it only
// when asked (--operators=example); it shows every piece of a kcloud operator in small.
export { Note, type NoteObject, type NoteSpec, type NoteStatus } from './api/index.ts';
export { NoteFiles, type NoteFile } from './backend/note-files.ts';
export {
  addNoteController,
  noteControllerName,
  noteFinalizer,
  noteResource,
  type NoteControllerOptions,
} from './controller/note-controller.ts';
