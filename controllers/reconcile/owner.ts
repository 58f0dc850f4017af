import type { KubeObject, OwnerReference } from '../kube/index.ts';

/** The ownerReference that makes `owner` the managing controller of another object. */
export function controllerReference(owner: KubeObject): OwnerReference {
  const { apiVersion, kind } = owner;
  const { name, uid } = owner.metadata;
  if (!apiVersion || !kind || !name || !uid) {
    throw new Error('an owner needs apiVersion, kind, metadata.name and metadata.uid');
  }
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}

/** Sets `owner` as the controller of `obj` (replacing another controller reference is an error). */
export function setControllerReference(owner: KubeObject, obj: KubeObject): void {
  const ref = controllerReference(owner);
  const refs = obj.metadata.ownerReferences ?? [];
  const other = refs.find((r) => r.controller && r.uid !== ref.uid);
  if (other) {
    throw new Error(
      `${obj.metadata.name ?? ''} is already controlled by ${other.kind} ${other.name}`,
    );
  }
  obj.metadata.ownerReferences = [...refs.filter((r) => r.uid !== ref.uid), ref];
}

/** Keys of the owners of `obj` of one kind: maps a child's events to its owner's queue. */
export function ownerKeys(obj: KubeObject, ownerKind: string, ownerApiVersion: string): string[] {
  return (obj.metadata.ownerReferences ?? [])
    .filter((r) => r.kind === ownerKind && r.apiVersion === ownerApiVersion)
    .map((r) => (obj.metadata.namespace ? `${obj.metadata.namespace}/${r.name}` : r.name));
}
