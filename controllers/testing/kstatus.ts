// What kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status) computes for a custom resource, by its
// generic rules, so tests can show that kcloud objects read as GitOps tools read them:
// deletionTimestamp → Terminating; status.observedGeneration behind metadata.generation →
// InProgress; Reconciling=True → InProgress; Stalled=True → Failed; otherwise Current.
import type { KubeObject } from '../kube/index.ts';

export type KStatus = 'Terminating' | 'InProgress' | 'Failed' | 'Current';

interface WithConditions extends KubeObject {
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string }[];
  };
}

export function kstatusOf(obj: KubeObject): KStatus {
  const o = obj as WithConditions;
  if (o.metadata.deletionTimestamp) return 'Terminating';
  const generation = o.metadata.generation;
  const observed = o.status?.observedGeneration;
  if (generation !== undefined && observed !== undefined && observed !== generation) {
    return 'InProgress';
  }
  for (const c of o.status?.conditions ?? []) {
    if (c.type === 'Reconciling' && c.status === 'True') return 'InProgress';
    if (c.type === 'Stalled' && c.status === 'True') return 'Failed';
  }
  return 'Current';
}
