// A wait that ends after an interval, when woken (a pool changed, a host appeared), or when
// the signal aborts — also when it aborted before the wait began: an 'abort' already fired
// does not fire again. The loops of host agents that report now, on a change, and periodically.
export class WakeableWait {
  private wake: (() => void) | undefined;

  /** Ends the current wait, if one is under way. */
  poke(): void {
    this.wake?.();
  }

  wait(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
