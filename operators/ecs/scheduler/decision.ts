// What the scheduler decides for one Instance: bind it to a host (with what it holds there),
// wait for something that changes by itself (a Flavor applied later, capacity freed, a host
// registering), or refuse with a reason only an edit of the Instance fixes.
import type { Resources } from './resources.ts';

export type ScheduleDecision =
  | {
      bind: string;
      allocated: Resources;
      /** A resize its host has no room for yet: it keeps what it holds until room frees. */
      resizeWaits?: { reason: string; message: string };
    }
  /** Something else must happen first and may: the controller looks again on a change. */
  | { wait: { reason: string; message: string } }
  /** A contradiction in the Instance's own references: it waits for an edit of the Instance. */
  | { refuse: { reason: string; message: string } };

export const wait = (reason: string, message: string): ScheduleDecision => ({
  wait: { reason, message },
});

export const refuse = (reason: string, message: string): ScheduleDecision => ({
  refuse: { reason, message },
});
