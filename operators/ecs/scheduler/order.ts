// Which waiting instance is scheduled first when capacity frees up: the higher spec.priority,
// then the older, then by namespace and name, so that every replica orders them alike.
import type { InstanceObject } from '../api/index.ts';

export function schedulingOrder(a: InstanceObject, b: InstanceObject): number {
  const p = (b.spec.priority ?? 0) - (a.spec.priority ?? 0);
  if (p !== 0) return p;
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
  const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
