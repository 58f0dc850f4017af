// The CDR files under --metering-dir: per period `<start>.jsonl` and `<start>.csv`, appended to
// only, and `<start>.done` once the period holds all its records. A process killed in the middle
// of an append leaves at most one partial line at a file's end: it is cut off before the next
// append, and the ids in a file are never written to it again, so a record is in each file
// exactly once however often writing is repeated.
import { mkdir, open, readdir, readFile, rename, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { periodName, type Period } from './periods.ts';
import { csvHeader, csvLine, jsonLine, type UsageRecord } from './records.ts';

const doneSuffix = '.done';

interface CdrFile {
  suffix: '.jsonl' | '.csv';
  header: string;
  line(r: UsageRecord): string;
  idOf(line: string): string | undefined;
}

const jsonlFile: CdrFile = {
  suffix: '.jsonl',
  header: '',
  line: jsonLine,
  idOf(line) {
    try {
      return (JSON.parse(line) as Partial<UsageRecord>).id;
    } catch {
      return undefined;
    }
  },
};

const csvFile: CdrFile = {
  suffix: '.csv',
  header: csvHeader,
  line: csvLine,
  idOf: (line) => (line === csvHeader.trimEnd() ? undefined : line.split(',', 1)[0]),
};

const cdrFiles = [jsonlFile, csvFile];

/** The ids in a file, after cutting off a partial last line; creates it (with its header). */
async function loadIds(file: string, kind: CdrFile): Promise<Set<string>> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  if (complete.length !== text.length) await truncate(file, Buffer.byteLength(complete));
  if (complete === '' && kind.header !== '') await appendSynced(file, kind.header);
  const ids = new Set<string>();
  for (const line of complete.split('\n')) {
    const id = line === '' ? undefined : kind.idOf(line);
    if (id !== undefined) ids.add(id);
  }
  return ids;
}

async function appendSynced(file: string, text: string): Promise<void> {
  const fd = await open(file, 'a');
  try {
    await fd.write(text);
    await fd.datasync();
  } finally {
    await fd.close();
  }
}

export class CdrFiles {
  readonly dir: string;
  /** The ids in each open period's files, loaded on first use (this process is the only writer). */
  private readonly ids = new Map<string, Set<string>>();

  constructor(dir: string) {
    this.dir = dir;
  }

  file(period: Period, suffix: string): string {
    return path.join(this.dir, periodName(period) + suffix);
  }

  /**
   * Appends the records not yet in the period's files, to each file those it lacks; returns
   * the records new to the JSON Lines file.
   */
  async append(period: Period, records: readonly UsageRecord[]): Promise<UsageRecord[]> {
    if (records.length === 0) return [];
    await mkdir(this.dir, { recursive: true });
    let written: UsageRecord[] = [];
    for (const kind of cdrFiles) {
      const file = this.file(period, kind.suffix);
      let ids = this.ids.get(file);
      if (!ids) {
        ids = await loadIds(file, kind);
        this.ids.set(file, ids);
      }
      const seen = ids;
      const fresh = records.filter((r) => !seen.has(r.id));
      // One record per id even when the caller repeats one.
      const unique = [...new Map(fresh.map((r) => [r.id, r])).values()];
      try {
        if (unique.length > 0) await appendSynced(file, unique.map((r) => kind.line(r)).join(''));
      } catch (err) {
        // A failed write (a full disk) may have left a partial line: read the file again,
        // cutting it off, before the next append.
        this.ids.delete(file);
        throw err;
      }
      for (const r of unique) seen.add(r.id);
      if (kind === jsonlFile) written = unique;
    }
    return written;
  }

  /** Marks the period complete: written after its records, atomically. */
  async close(period: Period): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const marker = this.file(period, doneSuffix);
    const body = JSON.stringify({
      start: periodName(period),
      end: new Date(period.end).toISOString(),
    });
    await writeFile(marker + '.tmp', body + '\n');
    await rename(marker + '.tmp', marker);
    for (const kind of cdrFiles) this.ids.delete(this.file(period, kind.suffix));
  }

  /** The periods marked complete, in order. */
  async closedPeriods(): Promise<Period[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const periods: Period[] = [];
    for (const name of names.filter((n) => n.endsWith(doneSuffix))) {
      const body = JSON.parse(await readFile(path.join(this.dir, name), 'utf8')) as {
        start: string;
        end: string;
      };
      periods.push({ start: Date.parse(body.start), end: Date.parse(body.end) });
    }
    return periods.sort((a, b) => a.start - b.start);
  }

  /** Where the first period not yet closed starts; undefined before any period was closed. */
  async closedUntil(): Promise<number | undefined> {
    const closed = await this.closedPeriods();
    return closed.length > 0 ? Math.max(...closed.map((p) => p.end)) : undefined;
  }
}

/**
 * Every record in the JSON Lines files of a folder, each id once; none when the folder does not
 * exist (metering has not written a record yet).
 */
export async function readRecords(dir: string): Promise<UsageRecord[]> {
  const byId = new Map<string, UsageRecord>();
  let all: string[];
  try {
    all = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const names = all.filter((n) => n.endsWith(jsonlFile.suffix)).sort();
  for (const name of names) {
    for (const line of (await readFile(path.join(dir, name), 'utf8')).split('\n')) {
      if (line === '') continue;
      try {
        const r = JSON.parse(line) as UsageRecord;
        if (!byId.has(r.id)) byId.set(r.id, r);
      } catch {
        // A partial last line of a process killed mid-write: written again whole later.
      }
    }
  }
  return [...byId.values()];
}
