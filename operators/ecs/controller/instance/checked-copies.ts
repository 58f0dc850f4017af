// Which instances' Secret copies (VNC password, user-data) were last found or written fresh
// for their host, and for what state of the instance: a bound instance is looked at several
// times on its way to Running (its binding, its agent's report), and reading the tenant's
// Secrets and their copies back each time was a third of the API requests the scheduler sent.
// The manager cannot watch tenant Secrets, so a change of one is applied when the instance
// changes (spec or annotations: `kubectl annotate` says "look now") and at least once per
// `recheckMs`, which also repairs a copy deleted by hand.
import type { InstanceObject } from '../../api/index.ts';
import { vncPasswordCopyAnnotation } from './vnc-password.ts';

/** As the controllers' default resync period: drift is repaired within it. */
export const copiesRecheckMs = 10 * 60_000;

interface Checked {
  inputs: string;
  at: number;
}

/** The state of an instance its copies depend on: host, spec and the user's annotations. */
function inputsOf(instance: InstanceObject, host: string): string {
  // The stamp is written with a new copy: it must not make the next look read again.
  const annotations = Object.entries(instance.metadata.annotations ?? {})
    .filter(([k]) => k !== vncPasswordCopyAnnotation)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([host, instance.metadata.generation ?? 0, annotations]);
}

export class CheckedCopies {
  private readonly byUid = new Map<string, Checked>();
  private readonly now: () => number;
  private readonly recheckMs: number;

  constructor(now: () => number = Date.now, recheckMs = copiesRecheckMs) {
    this.now = now;
    this.recheckMs = recheckMs;
  }

  /** Whether the copies for `host` were checked for this state of the instance, recently. */
  fresh(instance: InstanceObject, host: string): boolean {
    const c = this.byUid.get(instance.metadata.uid ?? '');
    return (
      c !== undefined && c.inputs === inputsOf(instance, host) && this.now() - c.at < this.recheckMs
    );
  }

  /** The copies for `host` hold what the instance's Secrets hold now. */
  record(instance: InstanceObject, host: string): void {
    this.byUid.set(instance.metadata.uid ?? '', {
      inputs: inputsOf(instance, host),
      at: this.now(),
    });
  }

  forget(uid: string): void {
    this.byUid.delete(uid);
  }

  get size(): number {
    return this.byUid.size;
  }
}
