// Metered objects as the API server stores them, for the unit tests.
import type { KubeObject } from '../../../controllers/kube/index.ts';
import type { FlavorObject } from '../../ecs/api/index.ts';
import type { VolumeTypeObject } from '../../evs/api/index.ts';
import { meteredKinds, type MeteredKind, type MeteringLookups } from './dimensions.ts';
import type { MeteredObject } from './meter.ts';

const kindOf = (kind: string): MeteredKind => {
  const found = meteredKinds.find((k) => k.resource.kind === kind);
  if (!found) throw new Error(`no metered kind ${kind}`);
  return found;
};

export function stored(
  kind: 'Instance' | 'Volume' | 'EIP',
  name: string,
  created: number,
  spec: object,
  namespace = 'finance-prod',
): MeteredObject {
  const obj = {
    apiVersion: 'v1alpha1',
    kind,
    metadata: {
      name,
      namespace,
      uid: `uid-${name}`,
      creationTimestamp: new Date(created).toISOString().replace(/\.\d+Z$/, 'Z'),
    },
    spec,
  } as KubeObject;
  return { kind: kindOf(kind), obj };
}

/** The object as the API server shows it once its deletion was asked for. */
export function deleting(o: MeteredObject, at: number): MeteredObject {
  const deletionTimestamp = new Date(at).toISOString().replace(/\.\d+Z$/, 'Z');
  return { kind: o.kind, obj: { ...o.obj, metadata: { ...o.obj.metadata, deletionTimestamp } } };
}

export const lookups: MeteringLookups = {
  flavor: (name) =>
    name === 'm1.large'
      ? ({ metadata: { name }, spec: { vcpu: 2, memory: '4Gi' } } as FlavorObject)
      : undefined,
  volumeTypes: () => [{ metadata: { name: 'ssd' }, spec: { default: true } } as VolumeTypeObject],
};
