// Whether a Kubernetes object is Ready for what it says now. A changed object keeps the Ready
// condition its previous generation earned until a controller reconciles the change, so
// Ready=True alone (what `kubectl wait --for=condition=Ready` checks) may describe a spec that
// was never applied.

/** The parts of an object this reads; anything else is ignored. */
export interface ObjectWithStatus {
  kind?: string;
  metadata?: { name?: string; namespace?: string; generation?: number };
  status?: {
    observedGeneration?: number;
    conditions?: {
      type?: string;
      status?: string;
      reason?: string;
      message?: string;
      observedGeneration?: number;
    }[];
  };
}

export interface Readiness {
  ready: boolean;
  /** `Kind namespace/name: why`, for a message listing what is not ready yet. */
  summary: string;
}

function describeObject(o: ObjectWithStatus): string {
  const { namespace, name = '?' } = o.metadata ?? {};
  return `${o.kind ?? 'object'} ${namespace ? `${namespace}/` : ''}${name}`;
}

/**
 * Ready=True for the object's current generation: status.observedGeneration and the Ready
 * condition's observedGeneration both equal metadata.generation.
 */
export function currentReadiness(o: ObjectWithStatus): Readiness {
  const what = describeObject(o);
  const generation = o.metadata?.generation;
  const observed = o.status?.observedGeneration;
  const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
  const fail = (why: string): Readiness => ({ ready: false, summary: `${what}: ${why}` });
  if (generation === undefined) return fail('has no metadata.generation');
  if (!ready) return fail('has no Ready condition yet');
  if (ready.status !== 'True') {
    return fail(
      `Ready=${ready.status ?? '?'} ${ready.reason ?? ''}${ready.message ? `: ${ready.message}` : ''}`,
    );
  }
  if (observed !== generation || ready.observedGeneration !== generation) {
    return fail(
      `Ready=True is for an older generation (generation ${String(generation)}, status.observedGeneration ${String(observed)}, Ready's ${String(ready.observedGeneration)}): the change is not reconciled yet`,
    );
  }
  return { ready: true, summary: `${what}: Ready` };
}
