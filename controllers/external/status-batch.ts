import type { Clock } from '../clock/index.ts';
import { ownedStatusEqual, type StatusOwnership } from '../reconcile/index.ts';

/**
 * Status fields summed from many other objects (a Subnet's address counters, a SecurityGroup's
 * member count), which a burst of member changes would otherwise rewrite once per member.
 */
export interface BatchedStatus {
  /** The product status fields that are such sums. */
  fields: readonly string[];
  /** The shortest time between two writes that change only these fields, per object. */
  periodMs: number;
}

/**
 * Holds back status writes that change only batched fields until `periodMs` has passed since
 * the object's last status write, the way Kubernetes' EndpointSlice controller batches its
 * updates: the caller requeues the object for when the period ends, and that reconcile writes
 * the sums as they are then, so the last change always lands. A write that changes anything
 * else (a condition, the phase) goes out at once, with the sums as they are. The times are a
 * memory of this process only: after a restart the first write goes out at once.
 */
export class StatusBatcher {
  private readonly batch: BatchedStatus;
  private readonly clock: Clock;
  /** When each object's status was last written, by key. */
  private readonly lastWrite = new Map<string, number>();

  constructor(batch: BatchedStatus, clock: Clock) {
    this.batch = batch;
    this.clock = clock;
  }

  /**
   * How long the write of `status` over `current` must wait (0: write now). Only a write that
   * would change nothing but the batched fields ever waits.
   */
  holdFor(key: string, current: unknown, status: unknown, owned: StatusOwnership): number {
    const last = this.lastWrite.get(key);
    if (last === undefined) return 0;
    const left = last + this.batch.periodMs - this.clock.now();
    if (left <= 0 || ownedStatusEqual(current, status, owned)) return 0;
    return this.onlyBatchedChange(current, status, owned) ? left : 0;
  }

  /** The object's status was written now. */
  wrote(key: string): void {
    this.lastWrite.set(key, this.clock.now());
  }

  /** The object is gone. */
  forget(key: string): void {
    this.lastWrite.delete(key);
  }

  private onlyBatchedChange(current: unknown, status: unknown, owned: StatusOwnership): boolean {
    const was = (current ?? {}) as Record<string, unknown>;
    const rest: Record<string, unknown> = { ...(status as Record<string, unknown>) };
    for (const field of this.batch.fields) rest[field] = was[field];
    return ownedStatusEqual(current, rest, owned);
  }
}
