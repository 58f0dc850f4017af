// What a request to the audit API asks for: its namespace from the path, and from the query a
// field selector (`kubectl get auditrecords --field-selector user=alice,verb=create`) and a time
// window (`?since=1h&until=…`, as the CLI's flags), `?writes=true` for writes only.
import type { AuditRecord } from '../records.ts';
import { timeBound, type ViewFilter } from '../view.ts';

/** The fields a selector may test, and how to read each from a record. */
const fields: Record<string, (r: AuditRecord) => string> = {
  user: (r) => r.user,
  verb: (r) => r.verb,
  resource: (r) => r.resource,
  objectName: (r) => r.name ?? '',
  result: (r) => r.result,
  'metadata.name': (r) => r.auditID,
  'metadata.namespace': (r) => r.namespace ?? '',
};

export class BadRequest extends Error {}

function one(query: Record<string, unknown>, key: string): string | undefined {
  const v = query[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new BadRequest(`${key}: expected one value`);
  return v;
}

/** `a=b,c!=d`: each term a field of `fields`, `=`, `==` or `!=`. */
export function fieldSelector(selector: string): (r: AuditRecord) => boolean {
  const tests = selector
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '')
    .map((term) => {
      const m = /^([A-Za-z.]+)\s*(==|!=|=)\s*(.*)$/.exec(term);
      if (!m) throw new BadRequest(`fieldSelector: "${term}" is not field=value or field!=value`);
      const [, field = '', op, value = ''] = m;
      const read = fields[field];
      if (!read) {
        throw new BadRequest(
          `fieldSelector: "${field}" is not a field of AuditRecord (${Object.keys(fields).join(', ')})`,
        );
      }
      return op === '!='
        ? (r: AuditRecord) => read(r) !== value
        : (r: AuditRecord) => read(r) === value;
    });
  return (r) => tests.every((t) => t(r));
}

/** The view a request selects, in `namespace` ('' for every namespace and none). */
export function viewFilter(
  query: Record<string, unknown>,
  namespace: string,
  now: Date,
): ViewFilter {
  const labels = one(query, 'labelSelector');
  if (labels !== undefined && labels.trim() !== '') {
    throw new BadRequest('labelSelector: audit records have no labels; use fieldSelector');
  }
  const bound = (key: string) => {
    const v = one(query, key);
    if (v === undefined) return undefined;
    try {
      return timeBound(key, v, now);
    } catch (err) {
      throw new BadRequest(err instanceof Error ? err.message : String(err));
    }
  };
  const since = bound('since');
  const until = bound('until');
  const writes = one(query, 'writes');
  if (writes !== undefined && writes !== 'true' && writes !== 'false') {
    throw new BadRequest(`writes: expected true or false, got ${writes}`);
  }
  const selector = one(query, 'fieldSelector');
  const selected = selector === undefined ? undefined : fieldSelector(selector);
  return {
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    writesOnly: writes === 'true',
    inScope: (r) =>
      (namespace === '' || r.namespace === namespace) && (selected === undefined || selected(r)),
  };
}
