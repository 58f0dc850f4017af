/** Where a kind lives in the API: enough to build every URL for it. */
export interface ResourceRef {
  /** '' for the core group (v1). */
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
  /** For objects we send: apiVersion and kind. */
  kind?: string;
}

export function apiVersionOf(ref: ResourceRef): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}

/**
 * The URL path of a collection, an object, or an object's subresource. A namespaced resource
 * without a namespace is the all-namespaces collection.
 */
export function resourcePath(
  ref: ResourceRef,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  const base = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  const ns = ref.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const obj = name ? `/${encodeURIComponent(name)}` : '';
  const sub = name && subresource ? `/${subresource}` : '';
  return `${base}${ns}/${ref.plural}${obj}${sub}`;
}
