export { Note, type NoteObject, type NoteSpec, type NoteStatus } from './note.ts';
