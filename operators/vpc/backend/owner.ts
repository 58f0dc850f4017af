import type { KubeObject } from '../../../controllers/kube/index.ts';
import type { Owner } from '../ovn/index.ts';

/** The OVN owner record of an object. */
export function ownerOf(obj: KubeObject, kind: string): Owner {
  return {
    kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
    uid: obj.metadata.uid ?? '',
  };
}
