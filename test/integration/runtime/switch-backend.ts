// A backend for the runtime's integration tests whose state the test switches: the text of
// each Note in memory, work that runs until the test finishes it, a host the test takes away.
import type {
  ExternalClient,
  InProgress,
  Observation,
  Unreachable,
} from '../../../controllers/external/index.ts';
import type { NoteObject } from '../../../operators/example/index.ts';

export interface Stored {
  text: string;
}

export class SwitchBackend implements ExternalClient<NoteObject, Stored> {
  readonly texts = new Map<string, string>();
  readonly calls: string[] = [];
  /** Set: every observe reports this work in progress. */
  busy: InProgress | undefined;
  /** Set: every observe reports the backend out of reach. */
  lost: Unreachable | undefined;

  observe(note: NoteObject): Promise<Observation<Stored>> {
    this.calls.push('observe');
    const text = this.texts.get(note.metadata.name ?? '');
    const state = {
      ...(this.busy ? { inProgress: this.busy } : {}),
      ...(this.lost ? { unreachable: this.lost } : {}),
    };
    if (text === undefined) return Promise.resolve({ exists: false, upToDate: false, ...state });
    return Promise.resolve({
      exists: true,
      upToDate: text === note.spec.text,
      observed: { text },
      ...state,
    });
  }

  create(note: NoteObject): Promise<void> {
    this.calls.push('create');
    this.texts.set(note.metadata.name ?? '', note.spec.text);
    return Promise.resolve();
  }

  update(note: NoteObject): Promise<void> {
    this.calls.push('update');
    this.texts.set(note.metadata.name ?? '', note.spec.text);
    return Promise.resolve();
  }

  delete(note: NoteObject): Promise<void> {
    this.calls.push('delete');
    this.texts.delete(note.metadata.name ?? '');
    return Promise.resolve();
  }
}
