import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ReconcileError,
  type ExternalClient,
  type Observation,
} from '../../../controllers/external/index.ts';
import type { NoteObject } from '../api/index.ts';

/** What the backend found on disk for one Note. */
export interface NoteFile {
  path: string;
  size: number;
  checksum: string;
}

/** Written beside each file: which Note owns it, so ownership survives restarts. */
interface OwnerRecord {
  uid: string;
  namespace: string;
  name: string;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * The Note backend: each Note's text in `<root>/<namespace>/<fileName>`, with an owner record
 * `.<fileName>.owner` naming the Note's UID. Writes go to a temporary file renamed into place,
 * so a crash never leaves half a note.
 */
export class NoteFiles implements ExternalClient<NoteObject, NoteFile> {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  fileName(note: NoteObject): string {
    return note.spec.fileName ?? note.metadata.name ?? '';
  }

  pathOf(note: NoteObject): string {
    return path.join(this.root, note.metadata.namespace ?? '_cluster', this.fileName(note));
  }

  private ownerPath(note: NoteObject): string {
    return path.join(path.dirname(this.pathOf(note)), `.${this.fileName(note)}.owner`);
  }

  private async owner(note: NoteObject): Promise<OwnerRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.ownerPath(note), 'utf8')) as OwnerRecord;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  /** A file that another Note owns is a conflict only a human can resolve. */
  private async checkOwner(note: NoteObject): Promise<void> {
    const owner = await this.owner(note);
    if (owner && owner.uid !== note.metadata.uid) {
      throw new ReconcileError(
        'FileInUse',
        `${this.pathOf(note)} belongs to Note ${owner.namespace}/${owner.name}; choose another fileName`,
        { retry: false },
      );
    }
  }

  /**
   * A file another Note owns does not exist as far as this Note is concerned: deleting this
   * Note must not touch it (and must not be blocked by it); creating it reports the conflict.
   */
  async observe(note: NoteObject): Promise<Observation<NoteFile>> {
    const owner = await this.owner(note);
    if (owner && owner.uid !== note.metadata.uid) return { exists: false, upToDate: false };
    let text: string;
    try {
      text = await readFile(this.pathOf(note), 'utf8');
    } catch (err) {
      if (isMissing(err)) return { exists: false, upToDate: false };
      throw err;
    }
    return {
      exists: true,
      upToDate: text === note.spec.text,
      observed: { path: this.pathOf(note), size: Buffer.byteLength(text), checksum: sha256(text) },
    };
  }

  async create(note: NoteObject): Promise<void> {
    await this.write(note);
  }

  async update(note: NoteObject): Promise<void> {
    await this.write(note);
  }

  async delete(note: NoteObject): Promise<void> {
    const owner = await this.owner(note);
    if (owner && owner.uid !== note.metadata.uid) return;
    await rm(this.pathOf(note), { force: true });
    await rm(this.ownerPath(note), { force: true });
  }

  private async write(note: NoteObject): Promise<void> {
    await this.checkOwner(note);
    const file = this.pathOf(note);
    await mkdir(path.dirname(file), { recursive: true });
    const record: OwnerRecord = {
      uid: note.metadata.uid ?? '',
      namespace: note.metadata.namespace ?? '',
      name: note.metadata.name ?? '',
    };
    await writeFile(this.ownerPath(note), JSON.stringify(record) + '\n');
    const tmp = `${file}.${record.uid}.partial`;
    await writeFile(tmp, note.spec.text);
    await rename(tmp, file);
  }
}
