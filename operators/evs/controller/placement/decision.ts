// EVS placement helpers; the decision types are the binding's (controllers/host).
export { missing, refuse, wait, type Decision } from '../../../../controllers/host/index.ts';

/** How a pool keeps data: on one host (Local file pool) or visible from all (Shared, RBD). */
export function poolScope(pool: {
  spec: { type: string; file?: { scope: string } };
}): 'Local' | 'Shared' {
  return pool.spec.type === 'File' && pool.spec.file?.scope === 'Local' ? 'Local' : 'Shared';
}

/** Whether an object's Ready condition is True. */
export function isReady(o: {
  status?: { conditions?: { type: string; status: string }[] };
}): boolean {
  return (o.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}
