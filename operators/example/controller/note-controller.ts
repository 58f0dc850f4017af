import type { Controller } from '../../../controllers/reconcile/index.ts';
import { addManagedController } from '../../../controllers/wiring/index.ts';
import type { Manager } from '../../../controllers/manager/index.ts';
import type { ResourceRef } from '../../../controllers/kube/index.ts';
import { Note, type NoteObject, type NoteStatus } from '../api/index.ts';
import { NoteFiles, type NoteFile } from '../backend/note-files.ts';

export const noteFinalizer = 'example.kcloud.io/cleanup';
export const noteControllerName = 'note-controller';

export interface NoteControllerOptions {
  /** Where note files are written. */
  notesDir: string;
  workers?: number;
  resyncPeriodMs?: number;
}

export const noteResource: ResourceRef = { ...Note.resource, kind: Note.kind };

/** Wires the Note controller into a manager: its informer, its backend and its status. */
export function addNoteController(
  mgr: Manager,
  opts: NoteControllerOptions,
): Controller<NoteObject> {
  const informer = mgr.informer<NoteObject>(noteResource);
  const files = new NoteFiles(opts.notesDir);
  const controller = addManagedController<NoteObject, NoteStatus, NoteFile>(mgr, {
    name: noteControllerName,
    resource: noteResource,
    informer,
    reconciler: {
      finalizer: noteFinalizer,
      external: () => files,
      status: (_note, observation) => ({
        path: observation.observed?.path,
        size: observation.observed?.size,
        checksum: observation.observed?.checksum,
      }),
      deletionPolicy: (note) => note.spec.deletionPolicy ?? 'Delete',
    },
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
    ...(opts.resyncPeriodMs !== undefined ? { resyncPeriodMs: opts.resyncPeriodMs } : {}),
  });
  return controller;
}
