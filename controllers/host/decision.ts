// What the scheduler decides for one object: bind it to a host (with the status fields the
// scheduler owns), wait for something that will happen by itself, or refuse with a reason.

export type Decision<S> =
  | { bind: string; status: S }
  /** Something else must happen first and will (an image importing, a host registering). */
  | { wait: { reason: string; message: string } }
  /** A problem a human must fix; `retry: false` waits for an edit of this object. */
  | { refuse: { reason: string; message: string; retry: boolean } };

export const wait = <S>(reason: string, message: string): Decision<S> => ({
  wait: { reason, message },
});

/**
 * A referenced object that does not exist: waited for, not refused, since GitOps applies objects
 * in any order and a watch on the referenced kind brings the referrer back when it appears.
 */
export const missing = <S>(reason: string, message: string): Decision<S> => wait(reason, message);

export const refuse = <S>(reason: string, message: string, retry = true): Decision<S> => ({
  refuse: { reason, message, retry },
});
