// Kubernetes label selectors, as an Instance's placement terms carry them.

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Whether `labels` satisfy every requirement of `selector` (matchLabels and matchExpressions). */
export function matches(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (l[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(l, e.key);
    const value = l[e.key];
    const listed = value !== undefined && (e.values ?? []).includes(value);
    const ok =
      e.operator === 'In'
        ? listed
        : e.operator === 'NotIn'
          ? !listed
          : e.operator === 'Exists'
            ? has
            : e.operator === 'DoesNotExist'
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}
