// The metering arithmetic over time: which periods are due, what every object used in each,
// and writing it once. Every write goes through one queue, so the period walk and the records
// of deleted objects never interleave in a file.
import type { Clock } from '../../../controllers/clock/index.ts';
import type { KubeObject } from '../../../controllers/kube/index.ts';
import type { CdrFiles } from './cdr-files.ts';
import type { MeteredKind, MeteringLookups } from './dimensions.ts';
import { endedPeriods, periodAt, periodFrom, periodsBefore, type Period } from './periods.ts';
import { lifetime, objectRecords, type UsageRecord } from './records.ts';

export interface MeteredObject {
  kind: MeteredKind;
  obj: KubeObject;
}

export interface MeterOptions {
  files: CdrFiles;
  periodMs: number;
  /**
   * How long after its end a period is closed: a create or delete stamped just before the end
   * reaches the API server's storage a moment later, and the list must see it.
   */
  settleMs: number;
  clock: Clock;
  lookups: MeteringLookups;
  /** The tenant of a namespace now ('' for a namespace of no tenant). */
  tenantOf(namespace: string): string;
  /** Every metered object as stored now, deleting ones included (a fresh read, not a cache). */
  listObjects(): Promise<MeteredObject[]>;
  /** Records just written (new to the files). */
  onWritten?(records: readonly UsageRecord[]): void;
  onClosed?(period: Period): void;
}

export class Meter {
  private readonly opts: MeterOptions;
  /** Where the first period not yet closed starts; found on first use. */
  private openFrom: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: MeterOptions) {
    this.opts = opts;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * After the last closed period; before any was closed, the period of the oldest object now
   * stored (so that its whole life is written), else the current one.
   */
  private async firstOpen(objects?: readonly MeteredObject[]): Promise<number> {
    if (this.openFrom !== undefined) return this.openFrom;
    let from = await this.opts.files.closedUntil();
    if (from === undefined) {
      const stored = objects ?? (await this.opts.listObjects());
      const oldest = Math.min(this.opts.clock.now(), ...stored.map((o) => lifetime(o.obj).start));
      from = periodAt(oldest, this.opts.periodMs).start;
    }
    this.openFrom = from;
    return from;
  }

  private async write(period: Period, objects: readonly MeteredObject[]): Promise<void> {
    const records = objects.flatMap(({ kind, obj }) =>
      objectRecords(
        kind,
        obj,
        period,
        this.opts.lookups,
        this.opts.tenantOf(obj.metadata.namespace ?? ''),
      ),
    );
    const written = await this.opts.files.append(period, records);
    if (written.length > 0) this.opts.onWritten?.(written);
  }

  /**
   * Closes every period that ended (by the settle time) since the last closed one: the records
   * of every object stored now that lived in it, then its marker. After a restart this is the
   * catch-up, however many periods were missed; one list serves them all.
   */
  closeEnded(): Promise<Period[]> {
    return this.serial(async () => {
      const { clock, periodMs, settleMs } = this.opts;
      const due = (from: number) => endedPeriods(from, clock.now() - settleMs, periodMs);
      if (this.openFrom !== undefined && due(this.openFrom).length === 0) return [];
      const objects = await this.opts.listObjects();
      const periods = due(await this.firstOpen(objects));
      for (const period of periods) {
        await this.write(period, objects);
        await this.opts.files.close(period);
        this.openFrom = period.end;
        this.opts.onClosed?.(period);
      }
      return periods;
    });
  }

  /**
   * Writes a deleting object's records for every open period up to its deletion (the closed
   * ones have them already): afterwards its finalizer can go, and no later list will show it.
   */
  meterDeleted(kind: MeteredKind, obj: KubeObject): Promise<void> {
    return this.serial(async () => {
      const end = lifetime(obj).end;
      if (end === undefined) throw new Error(`${obj.metadata.name ?? ''} is not being deleted`);
      for (const period of periodsBefore(await this.firstOpen(), end, this.opts.periodMs)) {
        await this.write(period, [{ kind, obj }]);
      }
    });
  }

  /** When the next period is due to close. */
  nextCloseAt(): number {
    const { clock, periodMs, settleMs } = this.opts;
    const from = this.openFrom ?? periodAt(clock.now(), periodMs).start;
    return periodFrom(from, periodMs).end + settleMs;
  }
}
