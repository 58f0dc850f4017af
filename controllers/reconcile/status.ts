import { isDeepStrictEqual } from 'node:util';
import { isApiError, type ApiError, type KubeObject, type ObjectClient } from '../kube/index.ts';
import type { Condition } from './conditions.ts';
import { ReconcileError } from './errors.ts';

export interface WithStatus<S> extends KubeObject {
  status?: S;
}

/**
 * Which part of an object's status one writer owns. Anything else in the status belongs to
 * other writers: it is neither compared nor sent.
 */
export interface StatusOwnership {
  /** The condition types this writer owns; by default, the types it applies. */
  conditions?: readonly string[];
  /** The other top-level status fields this writer owns; by default, every one. */
  fields?: readonly string[];
}

/**
 * Another field manager owns status fields this writer applies with other values. The writer
 * does not force them over (that would silently take another controller's fields): it says
 * who holds them, and retries with backoff until that manager lets go.
 */
export class StatusConflictError extends ReconcileError {
  /** The other field managers, as the API server names them. */
  readonly managers: string[];
  /** The conflicting fields, as paths (`.status.phase`). */
  readonly fields: string[];

  constructor(fieldManager: string, managers: string[], fields: string[], cause: ApiError) {
    const who = managers.length > 0 ? managers.map((m) => `"${m}"`).join(', ') : 'another writer';
    super(
      'StatusConflict',
      `status fields ${fields.join(', ') || '(unnamed)'} are owned by field manager ${who}; ` +
        `${fieldManager} does not take them over: stop that writer or remove its fields`,
      { cause },
    );
    this.name = 'StatusConflictError';
    this.managers = managers;
    this.fields = fields;
  }
}

type Json = Record<string, unknown>;

/**
 * The part of `status` a writer owns, in a form that compares as the API server stores it:
 * owned conditions sorted by type (their order belongs to no one), undefined dropped.
 */
function ownedPart(status: unknown, owned: StatusOwnership, types: ReadonlySet<string>): Json {
  const s = (status ?? {}) as Json;
  const out: Json = {};
  for (const [field, value] of Object.entries(s)) {
    if (field === 'conditions' || value === undefined) continue;
    if (owned.fields && !owned.fields.includes(field)) continue;
    out[field] = value;
  }
  const conditions = ((s.conditions ?? []) as Condition[])
    .filter((c) => types.has(c.type))
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  if (conditions.length > 0) out.conditions = conditions;
  return JSON.parse(JSON.stringify(out)) as Json;
}

/** The managers and fields an SSA conflict names (`conflict with "x" …` causes). */
function conflictOf(err: ApiError): { managers: string[]; fields: string[] } {
  const causes = err.body?.details?.causes ?? [];
  const managers = new Set<string>();
  const fields: string[] = [];
  for (const cause of causes) {
    const manager = /conflict with "([^"]*)"/.exec(cause.message ?? '')?.[1];
    if (manager !== undefined) managers.add(manager);
    if (cause.field) fields.push(cause.field);
  }
  if (managers.size === 0) {
    for (const m of (err.body?.message ?? '').matchAll(/conflicts? with "([^"]*)"/g)) {
      if (m[1] !== undefined) managers.add(m[1]);
    }
  }
  return { managers: [...managers], fields };
}

/**
 * Whether `status` holds what `current` holds in the part one writer owns (`owned`), as the
 * API server would store it: applying it would change nothing.
 */
export function ownedStatusEqual(
  current: unknown,
  status: unknown,
  owned: StatusOwnership = {},
): boolean {
  const types = new Set(
    owned.conditions ??
      (((status as Json | undefined)?.conditions as Condition[] | undefined) ?? []).map(
        (c) => c.type,
      ),
  );
  return isDeepStrictEqual(ownedPart(current, owned, types), ownedPart(status, owned, types));
}

/**
 * Writes the status fields one writer owns through the status subresource with server-side
 * apply, as that writer's own field manager, without force. Apply needs no resourceVersion, so
 * a status write never fails because someone else touched the object; fields owned by other
 * managers (another controller's condition, say) are left alone, and a field another manager
 * holds with a different value is a StatusConflictError naming it, never a takeover. Nothing
 * is sent when the owned part is unchanged: a converged system makes no API writes.
 *
 * `status` holds only what the writer owns; `owned` says what that is (by default every
 * field, and the condition types it holds).
 */
export async function applyStatus<S, T extends WithStatus<S>>(
  client: ObjectClient<T>,
  obj: T,
  status: S,
  fieldManager: string,
  signal?: AbortSignal,
  owned: StatusOwnership = {},
): Promise<T | undefined> {
  if (ownedStatusEqual(obj.status, status, owned)) return undefined;
  const apiVersion = obj.apiVersion;
  const kind = obj.kind;
  if (!apiVersion || !kind) throw new Error('applyStatus needs apiVersion and kind on the object');
  try {
    return await client.patch(
      obj.metadata.namespace,
      obj.metadata.name ?? '',
      'apply',
      {
        apiVersion,
        kind,
        metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace },
        status,
      },
      { subresource: 'status', fieldManager, signal },
    );
  } catch (err) {
    if (!isApiError(err, 409)) throw err;
    const { managers, fields } = conflictOf(err);
    throw new StatusConflictError(fieldManager, managers, fields, err);
  }
}
