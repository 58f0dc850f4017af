import {
  KubernetesObjectApi,
  loadAllYaml,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';

/** Server-side apply, as `kubectl apply --server-side --force-conflicts` does it. */
export async function serverSideApply<T extends KubernetesObject>(
  api: KubernetesObjectApi,
  obj: T,
  fieldManager: string,
): Promise<T> {
  return api.patch(obj, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);
}

/**
 * Parses a multi-document YAML string into objects, skipping empty documents. Built-in kinds
 * come back in @kubernetes/client-node's model shape (e.g. `x-kubernetes-validations` as
 * `xKubernetesValidations`), which is what its serializer expects on the way out: a plain
 * object would silently lose such fields. Custom resources pass through unchanged.
 */
export function parseYaml(text: string): KubernetesObject[] {
  return (loadAllYaml(text) as (KubernetesObject | null)[]).filter(
    (o): o is KubernetesObject => o !== null && typeof o === 'object',
  );
}

/**
 * Applies YAML (one or many documents), putting namespaced objects without a namespace into
 * `namespace`. Returns the objects as the API server stored them.
 */
export async function applyYaml(
  api: KubernetesObjectApi,
  yamlText: string,
  namespace?: string,
  fieldManager = 'kcloud-test',
): Promise<KubernetesObject[]> {
  const applied: KubernetesObject[] = [];
  for (const obj of parseYaml(yamlText)) {
    if (namespace && !obj.metadata?.namespace) {
      obj.metadata = Object.assign({}, obj.metadata, { namespace });
    }
    applied.push(await serverSideApply(api, obj, fieldManager));
  }
  return applied;
}
