import { kubectlOk } from '../../hack/cluster/index.ts';

/** One row of `kubectl auth can-i --list`, one verb per entry: `get leases.coordination.k8s.io`. */
export type Permission = string;

/**
 * What an identity may do in a namespace, as `kubectl auth can-i --list` reports it (the API
 * server's SelfSubjectRulesReview through impersonation), one "verb resource" per entry.
 * The table has no machine-readable form, so columns are cut where the header puts them.
 */
export async function canIList(
  kubeconfig: string,
  user: string,
  namespace: string,
): Promise<Set<Permission>> {
  return parseCanIList(
    await kubectlOk(kubeconfig, ['auth', 'can-i', '--list', `--as=${user}`, '-n', namespace]),
  );
}

export function parseCanIList(table: string): Set<Permission> {
  const [header, ...rows] = table.split('\n').filter((l) => l.trim() !== '');
  if (!header?.startsWith('Resources')) throw new Error(`unexpected can-i output:\n${table}`);
  const cols = ['Non-Resource URLs', 'Resource Names', 'Verbs'].map((c) => header.indexOf(c));
  if (cols.some((c) => c < 0)) throw new Error(`unexpected can-i header: ${header}`);
  const [urlsAt = 0, namesAt = 0, verbsAt = 0] = cols;
  const list = (s: string) =>
    s
      .trim()
      .replace(/^\[|\]$/g, '')
      .split(' ')
      .filter(Boolean);
  const out = new Set<Permission>();
  for (const row of rows) {
    const resource = row.slice(0, urlsAt).trim();
    const urls = list(row.slice(urlsAt, namesAt));
    const names = list(row.slice(namesAt, verbsAt));
    const verbs = list(row.slice(verbsAt));
    const suffix = names.length > 0 ? `/${names.join(',')}` : '';
    for (const verb of verbs) {
      if (resource) out.add(`${verb} ${resource}${suffix}`);
      for (const url of urls) out.add(`${verb} ${url}`);
    }
  }
  return out;
}

/**
 * The same form for RBAC rules: `get leases.coordination.k8s.io`, the core group without a dot,
 * a subresource after the group.
 */
export function permissionsOf(
  rules: readonly {
    apiGroups: string[];
    resources: string[];
    verbs: string[];
    resourceNames?: string[];
  }[],
): Set<Permission> {
  const out = new Set<Permission>();
  for (const r of rules)
    for (const g of r.apiGroups)
      for (const res of r.resources)
        for (const v of r.verbs) {
          // can-i writes a subresource after the group: networkacls.vpc.kcloud.io/status; and
          // a rule limited to names as one row per name.
          const [plural = '', sub] = res.split('/');
          const base = `${v} ${g ? `${plural}.${g}` : plural}${sub ? `/${sub}` : ''}`;
          for (const name of r.resourceNames ?? [''])
            out.add(name === '' ? base : `${base}/${name}`);
        }
  return out;
}

/** What `a` has that `b` has not. */
export function minus(a: Set<Permission>, b: Set<Permission>): Permission[] {
  return [...a].filter((p) => !b.has(p)).sort();
}
