// A status shared by several writers (the agent, its modules, the manager): each applies only
// the fields and conditions it owns, with its own field manager and without force, so it never
// takes another writer's fields; and it writes nothing when its own part is unchanged.
import { isDeepStrictEqual } from 'node:util';
import {
  setCondition,
  type Condition,
  type ConditionUpdate,
  type KubeObject,
  type ObjectClient,
} from '../../../controllers/index.ts';

export interface OwnStatus {
  /** The status fields this writer owns, with their values (undefined: not set any more). */
  fields: Record<string, unknown>;
  /** The conditions this writer owns. */
  conditions: ConditionUpdate[];
}

interface StatusOwner extends KubeObject {
  status?: { conditions?: Condition[] } & Record<string, unknown>;
}

/** JSON drops undefined; compare what the API server would store. */
function json(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/**
 * The writer's own conditions as they will be stored: lastTransitionTime kept from the current
 * condition when its status is unchanged.
 */
export function ownConditions(
  current: Condition[] | undefined,
  updates: ConditionUpdate[],
  now: Date,
): Condition[] {
  let list = current ?? [];
  for (const u of updates) list = setCondition(list, u, now);
  return updates.map((u) => list.find((c) => c.type === u.type) as Condition);
}

/** Whether the object's status already holds exactly `own`. */
export function ownStatusCurrent(obj: StatusOwner, own: OwnStatus): boolean {
  const status = obj.status ?? {};
  for (const [field, value] of Object.entries(own.fields)) {
    if (!isDeepStrictEqual(json(status[field]), json(value))) return false;
  }
  for (const u of own.conditions) {
    const c = status.conditions?.find((x) => x.type === u.type);
    if (!c) return false;
    const { lastTransitionTime: _, ...rest } = c;
    if (!isDeepStrictEqual(json(rest), json(u))) return false;
  }
  return true;
}

/**
 * Applies `own` to the status subresource as `fieldManager` (server-side apply, no force) when
 * it differs from what `obj` holds; returns the stored object, or undefined when nothing was
 * sent. A field another manager owns makes the API server answer 409: a conflict to report,
 * never to force.
 */
export async function applyOwnStatus<T extends StatusOwner>(
  client: ObjectClient<T>,
  obj: T,
  own: OwnStatus,
  fieldManager: string,
  now: Date,
  signal?: AbortSignal,
): Promise<T | undefined> {
  if (ownStatusCurrent(obj, own)) return undefined;
  const { apiVersion, kind } = obj;
  if (!apiVersion || !kind) throw new Error('applyOwnStatus needs apiVersion and kind');
  const status: Record<string, unknown> = { ...own.fields };
  if (own.conditions.length > 0) {
    status.conditions = ownConditions(obj.status?.conditions, own.conditions, now);
  }
  return client.patch(
    obj.metadata.namespace,
    obj.metadata.name ?? '',
    'apply',
    {
      apiVersion,
      kind,
      metadata: {
        name: obj.metadata.name,
        ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
      },
      status: json(status),
    },
    { subresource: 'status', fieldManager, force: false, ...(signal ? { signal } : {}) },
  );
}
