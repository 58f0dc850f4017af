// A status with several writers that are not reconcilers of the object (a Host's: the agent,
// its modules, the manager's lifecycle controller): each applies only its own fields and
// conditions, with its own field manager and without force (applyStatus), so none takes
// another's, and nothing is written when its own part is unchanged.
import type { KubeObject, ObjectClient } from '../kube/index.ts';
import { setCondition, type Condition, type ConditionUpdate } from './conditions.ts';
import { applyStatus } from './status.ts';

export interface OwnStatus {
  /** The status fields this writer owns, with their values (undefined: not set any more). */
  fields: Record<string, unknown>;
  /** The conditions this writer owns. */
  conditions: ConditionUpdate[];
}

interface StatusOwner extends KubeObject {
  status?: { conditions?: Condition[] } & Record<string, unknown>;
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

/**
 * Applies `own` to the status subresource as `fieldManager` when it differs from what `obj`
 * holds; returns the stored object, or undefined when nothing was sent. A field another manager
 * holds with another value is a StatusConflictError naming it, never a takeover.
 */
export function applyOwnStatus<T extends StatusOwner>(
  client: ObjectClient<T>,
  obj: T,
  own: OwnStatus,
  fieldManager: string,
  now: Date,
  signal?: AbortSignal,
): Promise<T | undefined> {
  const status = {
    ...own.fields,
    ...(own.conditions.length > 0
      ? { conditions: ownConditions(obj.status?.conditions, own.conditions, now) }
      : {}),
  };
  return applyStatus(client, obj, status, fieldManager, signal, {
    fields: Object.keys(own.fields),
    conditions: own.conditions.map((c) => c.type),
  });
}
