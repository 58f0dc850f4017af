import { Controller } from '../../../controllers/reconcile/index.ts';
import { managedReconciler } from '../../../controllers/external/index.ts';
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

/** Wires the Note controller into a manager: informer, backend, reconcile, events. */
export function addNoteController(
  mgr: Manager,
  opts: NoteControllerOptions,
): Controller<NoteObject> {
  const informer = mgr.informer<NoteObject>(noteResource);
  const client = mgr.client<NoteObject>(noteResource);
  const files = new NoteFiles(opts.notesDir);
  const controller = new Controller<NoteObject>({
    name: noteControllerName,
    informer,
    workers: opts.workers ?? 4,
    ...(opts.resyncPeriodMs !== undefined ? { resyncPeriodMs: opts.resyncPeriodMs } : {}),
    registry: mgr.registry,
    log: mgr.log,
    reconcile: managedReconciler<NoteObject, NoteStatus, NoteFile>({
      controllerName: noteControllerName,
      finalizer: noteFinalizer,
      client,
      cache: informer.cache,
      external: () => files,
      status: (_note, observation) => ({
        path: observation.observed?.path,
        size: observation.observed?.size,
        checksum: observation.observed?.checksum,
      }),
      deletionPolicy: (note) => note.spec.deletionPolicy ?? 'Delete',
      recorder: mgr.recorder(noteControllerName),
      registry: mgr.registry,
    }),
  });
  mgr.add(controller);
  return controller;
}
