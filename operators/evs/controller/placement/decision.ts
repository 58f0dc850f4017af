// EVS placement helpers; the decision types are the binding's (controllers/host).
export { missing, refuse, wait, type Decision } from '../../../../controllers/host/index.ts';
export { poolScope } from '../../api/index.ts';

/** Whether an object's Ready condition is True. */
export function isReady(o: {
  status?: { conditions?: { type: string; status: string }[] };
}): boolean {
  return (o.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}
