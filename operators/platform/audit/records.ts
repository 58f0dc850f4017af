// One audit record per request, from the API server's audit events: who (the impersonated user
// when there is one: the person a tool acted for), what (verb, resource, namespace, name),
// when, and the result (the response code, and the authorizer's reason when it said no).

export interface AuditRecord {
  time: string;
  user: string;
  /** Who authenticated, when it is not `user` (a tool impersonating `user`). */
  via?: string;
  verb: string;
  /** `volumes.evs.kcloud.io`, `secrets`, with `/status` when a subresource. */
  resource: string;
  namespace?: string;
  name?: string;
  code: number;
  /** Allowed, or why not: `Forbidden`, `AlreadyExists`, `Invalid` … */
  result: string;
  auditID: string;
}

interface AuditEvent {
  auditID?: string;
  stage?: string;
  verb?: string;
  user?: { username?: string };
  impersonatedUser?: { username?: string };
  objectRef?: {
    resource?: string;
    subresource?: string;
    apiGroup?: string;
    namespace?: string;
    name?: string;
  };
  responseStatus?: { code?: number; reason?: string; status?: string };
  requestReceivedTimestamp?: string;
  stageTimestamp?: string;
}

/**
 * Turns audit-log lines into records, one per request: a watch is logged when it starts and
 * again when it ends, and only its start is kept. Lines that are not audit events (a line cut
 * short by a crash) are counted, not fatal.
 */
export class AuditRecords {
  private readonly seen = new Set<string>();
  skipped = 0;

  parse(line: string): AuditRecord | undefined {
    let event: AuditEvent;
    try {
      event = JSON.parse(line) as AuditEvent;
    } catch {
      this.skipped++;
      return undefined;
    }
    const stage = event.stage ?? '';
    if (!['ResponseStarted', 'ResponseComplete', 'Panic'].includes(stage)) return undefined;
    const id = event.auditID ?? '';
    if (id === '' || this.seen.has(id)) return undefined;
    this.seen.add(id);
    const ref = event.objectRef ?? {};
    const code = event.responseStatus?.code ?? (stage === 'Panic' ? 500 : 0);
    const authenticated = event.user?.username ?? '';
    const user = event.impersonatedUser?.username ?? authenticated;
    return {
      time: event.requestReceivedTimestamp ?? event.stageTimestamp ?? '',
      user,
      ...(user !== authenticated ? { via: authenticated } : {}),
      verb: event.verb ?? '',
      resource:
        (ref.apiGroup ? `${ref.resource ?? ''}.${ref.apiGroup}` : (ref.resource ?? '')) +
        (ref.subresource ? `/${ref.subresource}` : ''),
      ...(ref.namespace ? { namespace: ref.namespace } : {}),
      ...(ref.name ? { name: ref.name } : {}),
      code,
      result: code >= 200 && code < 300 ? 'Allowed' : (event.responseStatus?.reason ?? `${code}`),
      auditID: id,
    };
  }
}
