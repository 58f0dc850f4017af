// Objects that belong to one host: what a host agent may write, and how an object is bound to a
// host. The scheduler binds an object with the `hostLabel`; agents watch and write only the
// objects bound to their own host (the admission policy of kcloud-agent holds them to it).

/** The label that binds an object to a host; the scheduler sets it, agents select on it. */
export const hostLabel = 'ecs.kcloud.io/host';

const lit = (s: string) => `'${s}'`;

/**
 * A kind whose objects belong to one host: an agent may create, change and delete only those of
 * its own host. Core: the heartbeat Lease and the Host itself; host modules add theirs (objects
 * the scheduler bound to a host with the `ecs.kcloud.io/host` label, see boundByLabel).
 */
export interface HostBoundResource {
  group: string;
  /** The plural, as in RBAC. */
  resource: string;
  /** '' for the object itself, or e.g. 'status'. */
  subresource: string;
  /** For a namespaced kind: the one namespace an agent may write it in. */
  namespace?: string;
  /** CEL for the host an object is bound to; `o` is `object` or `oldObject`. */
  hostOf(o: string): string;
  /**
   * The object stands for the host itself (its Host, its Lease): a simulating agent may write
   * it only while it carries the simulated label, so no real host's object is within its reach.
   */
  hostObject?: boolean;
  /** CEL that must also hold for an agent's write (e.g. an update keeps the spec). */
  constraint?: string;
}

/** CEL: the value of label `key` of `o`, or '' when the object has no such label (or none). */
export function labelOf(o: string, key: string): string {
  return `(has(${o}.metadata.labels) && ${lit(key)} in ${o}.metadata.labels ? ${o}.metadata.labels[${lit(key)}] : '')`;
}

/**
 * A host module's kind whose objects the scheduler binds to a host with the `ecs.kcloud.io/host`
 * label (the manager sets it, agents select on it). An agent may write the objects labelled
 * with its host only, and an update must keep that label (old and new object), so relabelling
 * cannot move an object to another host or take one over.
 */
export function boundByLabel(
  r: Pick<HostBoundResource, 'group' | 'resource' | 'subresource'>,
): HostBoundResource {
  return { ...r, hostOf: (o) => labelOf(o, hostLabel) };
}

/**
 * CEL constraint for a bound kind's object (not its status): the agent may change it only to
 * add or remove its finalizer. The spec is the user's and the labels the scheduler's; it never
 * creates or deletes one.
 */
export const finalizersOnly =
  "request.operation == 'UPDATE' && object.spec == oldObject.spec && " +
  '(has(object.metadata.labels) ? object.metadata.labels : {}) == (has(oldObject.metadata.labels) ? oldObject.metadata.labels : {})';

/** The object and its status subresource of a bound kind, as a module's `hostBound` lists them. */
export function boundKind(k: { group: string; plural: string }): HostBoundResource[] {
  return [
    {
      ...boundByLabel({ group: k.group, resource: k.plural, subresource: '' }),
      constraint: finalizersOnly,
    },
    boundByLabel({ group: k.group, resource: k.plural, subresource: 'status' }),
  ];
}
