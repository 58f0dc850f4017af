import { isDeepStrictEqual } from 'node:util';
import { realClock, type Clock } from '../clock/index.ts';
import {
  ApiError,
  resourcePath,
  type ApiTransport,
  type KubeObject,
  type ObjectList,
  type RequestOptions,
  type ObjectClient,
  type Status,
  type Verb,
} from '../kube/index.ts';

/** One request as it reached the fake, in the shape it would have on the wire. */
export interface RecordedCall {
  verb: Verb;
  path: string;
  /** The query parameters that were set, as strings (as the URL carries them). */
  query?: Record<string, string>;
  contentType?: string;
  /** The body after a JSON round trip: undefined fields are gone, as on the wire. */
  body?: unknown;
}

/** Which calls an injected failure applies to; every field given must match. */
export interface CallMatch {
  verb?: Verb;
  path?: string;
  contentType?: string;
}

/** An API answer (`code`, `reason`, optional `message`) or any Error (a broken connection). */
export type InjectedFailure = Error | { code: number; reason: string; message?: string };

export interface RecordingApiOptions {
  /** Source of creationTimestamp and deletionTimestamp. */
  clock?: Clock;
}

type Json = Record<string, unknown>;
type Stored = KubeObject & Json;

/** Where a request path points: a collection, an object, or an object's subresource. */
interface Target {
  /** `/api/v1` or `/apis/<group>/<version>`. */
  prefix: string;
  group: string;
  plural: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

interface Entry {
  target: Target;
  obj: Stored;
  /** Server-side apply ownership of top-level status fields: field → managers. */
  statusOwners: Map<string, Set<string>>;
}

const mergePatchType = 'application/merge-patch+json';
const applyPatchType = 'application/apply-patch+yaml';
const jsonPatchType = 'application/json-patch+json';
const subresources = new Set(['status', 'scale', 'finalize']);
/** Metadata only the server sets; writes cannot change it. */
const systemMetadata = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
] as const;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What the API server would receive: a JSON round trip. */
function wire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return wire(patch);
  const base = isObject(target) ? target : {};
  const out: Json = {};
  for (const [k, v] of Object.entries(base)) if (!(k in patch)) out[k] = v;
  for (const [k, v] of Object.entries(patch)) if (v !== null) out[k] = mergePatch(base[k], v);
  return out;
}

function without(obj: Json, keys: readonly string[]): Json {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k)));
}

/** A CRD's generation counts changes to anything but metadata and status. */
function specChanged(before: Stored, after: Stored): boolean {
  return !isDeepStrictEqual(
    without(before, ['metadata', 'status']),
    without(after, ['metadata', 'status']),
  );
}

function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function parsePath(path: string): Target {
  const segments = path.split('/').slice(1).map(decodeURIComponent);
  const prefixLength = segments[0] === 'api' ? 2 : segments[0] === 'apis' ? 3 : 0;
  if (prefixLength === 0 || segments.length <= prefixLength) {
    throw new Error(`RecordingApi: ${path} is not a resource path`);
  }
  const prefix = `/${segments.slice(0, prefixLength).join('/')}`;
  const group = prefixLength === 3 ? (segments[1] ?? '') : '';
  let rest = segments.slice(prefixLength);
  let namespace: string | undefined;
  // `namespaces/x/status` is the Namespace x's subresource, `namespaces/x/pods` a collection.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !subresources.has(rest[2] ?? '')) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  if (plural === undefined || extra.length > 0) {
    throw new Error(`RecordingApi: ${path} is not a resource path`);
  }
  return {
    prefix,
    group,
    plural,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
}

function objectPath(t: Target, name: string): string {
  const ns = t.namespace === undefined ? '' : `/namespaces/${encodeURIComponent(t.namespace)}`;
  return `${t.prefix}${ns}/${t.plural}/${encodeURIComponent(name)}`;
}

/** `key=value`, `key==value`, `key!=value`, `key` and `!key`, comma-separated. */
function labelsMatch(selector: string, labels: Record<string, string>): boolean {
  return selector
    .split(',')
    .map((term) => term.trim())
    .filter((term) => term !== '')
    .every((term) => {
      if (/\s(in|notin)\s|\(/.test(term)) {
        throw new Error(`RecordingApi: set-based label selectors are not supported: ${term}`);
      }
      const ne = /^([^!=]+)!=(.*)$/.exec(term);
      if (ne) return labels[(ne[1] ?? '').trim()] !== (ne[2] ?? '').trim();
      const eq = /^([^!=]+)==?(.*)$/.exec(term);
      if (eq) return labels[(eq[1] ?? '').trim()] === (eq[2] ?? '').trim();
      if (term.startsWith('!')) return !(term.slice(1).trim() in labels);
      return term in labels;
    });
}

/**
 * A status as server-side apply owns it: each top-level field, and each condition by its type
 * (`conditions` is a list map keyed by type, so writers own conditions one by one).
 */
function statusUnits(status: Json): Map<string, unknown> {
  const units = new Map<string, unknown>();
  for (const [field, value] of Object.entries(status)) {
    if (field === 'conditions' && Array.isArray(value)) {
      for (const c of value as unknown[]) {
        if (isObject(c) && typeof c.type === 'string') units.set(conditionUnit(c.type), c);
      }
    } else {
      units.set(field, value);
    }
  }
  return units;
}

const conditionUnit = (type: string) => `conditions[type="${type}"]`;
const conditionUnitPattern = /^conditions\[type="(.*)"\]$/;

/** The status the units make up; conditions keep the order they were first written in. */
function statusFromUnits(units: Map<string, unknown>): Json {
  const status: Json = {};
  const conditions: unknown[] = [];
  for (const [unit, value] of units) {
    if (conditionUnitPattern.test(unit)) conditions.push(value);
    else status[unit] = value;
  }
  if (conditions.length > 0) status.conditions = conditions;
  return status;
}

/**
 * An in-memory Kubernetes API behind the ApiTransport interface, for unit tests of reconcile
 * logic. It records every call, so a test asserts exactly which requests a reconcile made, and
 * it answers them with the API server's semantics for custom resources with a status
 * subresource:
 *
 * - one resourceVersion counter for all objects, advanced by every write that changes
 *   something (a write that changes nothing is not stored, as in etcd);
 * - `metadata.generation` counts changes outside metadata and status, and the start of a
 *   deletion;
 * - PUT needs the current resourceVersion (409 Conflict when stale, 422 when missing); a merge
 *   patch that carries a `metadata.resourceVersion` must match it as well;
 * - writes to the object ignore status, writes to `/status` ignore everything else;
 * - server-side apply (`/status` only) sets the status fields given and removes those the same
 *   field manager applied before and no longer applies, unless another manager owns them too;
 *   a field another manager owns with another value is a 409 naming that manager, unless
 *   forced; ownership is tracked per top-level status field and per condition type (a list
 *   map keyed by type), a simplification of managedFields;
 * - DELETE of an object with finalizers sets `deletionTimestamp`; the write that removes its
 *   last finalizer removes it; new finalizers cannot be added to a deleting object.
 *
 * JSON patch, apply on the object itself, watches and field selectors are not served: they
 * throw, so a test never passes on semantics the fake does not have. propagationPolicy has no
 * effect (there is no garbage collector).
 */
export class RecordingApi implements ApiTransport {
  /** Every call, in order, including the ones that failed. */
  readonly calls: RecordedCall[] = [];
  private readonly clock: Clock;
  private readonly objects = new Map<string, Entry>();
  private readonly failures: { match: CallMatch; failure: InjectedFailure }[] = [];
  private resourceVersion = 0;
  private uids = 0;

  constructor(opts: RecordingApiOptions = {}) {
    this.clock = opts.clock ?? realClock;
  }

  /** The calls that write (everything but GET). */
  writes(): RecordedCall[] {
    return this.calls.filter((c) => c.verb !== 'GET');
  }

  /** Forgets the calls recorded so far (not the objects). */
  clearCalls(): void {
    this.calls.length = 0;
  }

  /**
   * The next call matching `match` fails with `failure` instead of being served (it is still
   * recorded). Failures are used in the order they were injected, each once.
   */
  failNext(match: CallMatch, failure: InjectedFailure): void {
    this.failures.push({ match, failure });
  }

  /**
   * Stores an object of the client's kind directly, without recording a call: the state a test
   * starts from. Status and deletionTimestamp are kept; uid, generation and creationTimestamp
   * are filled in when missing, and the object gets the next resourceVersion. Returns the
   * stored object.
   */
  seed<T extends KubeObject>(client: ObjectClient<T>, obj: T): T {
    const name = obj.metadata.name;
    if (!name) throw new Error('RecordingApi.seed: the object needs metadata.name');
    const target = parsePath(resourcePath(client.ref, obj.metadata.namespace));
    const stored = wire(obj) as unknown as Stored;
    stored.metadata.uid ??= this.nextUid();
    stored.metadata.generation ??= 1;
    stored.metadata.creationTimestamp ??= timestamp(this.clock.now());
    stored.metadata.resourceVersion = this.nextResourceVersion();
    this.objects.set(objectPath(target, name), { target, obj: stored, statusOwners: new Map() });
    return wire(stored) as unknown as T;
  }

  /** The stored object, read without recording a call; undefined when there is none. */
  peek<T extends KubeObject>(
    client: ObjectClient<T>,
    namespace: string | undefined,
    name: string,
  ): T | undefined {
    const entry = this.objects.get(resourcePath(client.ref, namespace, name));
    return entry ? (wire(entry.obj) as unknown as T) : undefined;
  }

  async request<T>(opts: RequestOptions): Promise<T> {
    const call = this.record(opts);
    await Promise.resolve();
    if (opts.signal?.aborted) throw opts.signal.reason as Error;
    this.injectedFailure(call);
    return wire(this.serve(call)) as T;
  }

  lines(opts: RequestOptions): AsyncGenerator<string> {
    this.record(opts);
    throw new Error('RecordingApi does not serve watches: drive informers with FakeListerWatcher');
  }

  private record(opts: RequestOptions): RecordedCall {
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v !== undefined) query[k] = String(v);
    }
    const call: RecordedCall = {
      verb: opts.method,
      path: opts.path,
      ...(Object.keys(query).length > 0 ? { query } : {}),
      ...(opts.body !== undefined
        ? { contentType: opts.contentType ?? 'application/json', body: wire(opts.body) }
        : {}),
    };
    this.calls.push(call);
    return call;
  }

  private injectedFailure(call: RecordedCall): void {
    const i = this.failures.findIndex(
      ({ match }) =>
        (match.verb === undefined || match.verb === call.verb) &&
        (match.path === undefined || match.path === call.path) &&
        (match.contentType === undefined || match.contentType === call.contentType),
    );
    const found = this.failures[i];
    if (!found) return;
    this.failures.splice(i, 1);
    const { failure } = found;
    if (failure instanceof Error) throw failure;
    throw new ApiError(
      failure.code,
      {
        kind: 'Status',
        status: 'Failure',
        code: failure.code,
        reason: failure.reason,
        message: failure.message ?? `injected ${failure.reason}`,
      },
      `${call.verb} ${call.path}`,
    );
  }

  private serve(call: RecordedCall): unknown {
    const target = parsePath(call.path);
    const context = `${call.verb} ${call.path}`;
    if (target.name === undefined) {
      if (call.verb === 'GET') return this.list(target, call.query ?? {});
      if (call.verb === 'POST') return this.create(target, call.body, context);
      throw new Error(`RecordingApi: ${context} on a collection is not supported`);
    }
    if (call.verb === 'POST') throw new Error(`RecordingApi: ${context} is not a collection`);
    if (
      target.subresource !== undefined &&
      (target.subresource !== 'status' || call.verb === 'DELETE')
    ) {
      throw new Error(`RecordingApi: ${context} is not supported`);
    }
    const key = objectPath(target, target.name);
    const entry = this.objects.get(key);
    if (!entry) {
      throw this.error(404, 'NotFound', target, `${this.resourceName(target)} not found`, context);
    }
    switch (call.verb) {
      case 'GET':
        return entry.obj;
      case 'PUT':
        return this.update(key, entry, target, call.body, context);
      case 'PATCH':
        return this.patch(key, entry, target, call, context);
      case 'DELETE':
        return this.delete(key, entry, target, call.body, context);
    }
  }

  private list(target: Target, query: Record<string, string>): ObjectList<KubeObject> {
    if (query.watch === 'true') {
      throw new Error(
        'RecordingApi does not serve watches: drive informers with FakeListerWatcher',
      );
    }
    if (query.fieldSelector !== undefined) {
      throw new Error('RecordingApi does not support field selectors');
    }
    const items = [...this.objects.entries()]
      .filter(
        ([, e]) =>
          e.target.prefix === target.prefix &&
          e.target.plural === target.plural &&
          (target.namespace === undefined || e.target.namespace === target.namespace) &&
          (query.labelSelector === undefined ||
            labelsMatch(query.labelSelector, e.obj.metadata.labels ?? {})),
      )
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, e]) => e.obj);
    const start = query.continue === undefined ? 0 : Number(query.continue);
    const limit = query.limit === undefined ? items.length : Number(query.limit);
    const end = Math.min(items.length, start + limit);
    return {
      apiVersion: 'v1',
      kind: 'List',
      metadata: {
        resourceVersion: String(this.resourceVersion),
        ...(end < items.length ? { continue: String(end) } : {}),
      },
      items: items.slice(start, end),
    };
  }

  private create(target: Target, body: unknown, context: string): Stored {
    if (!isObject(body) || !isObject(body.metadata)) {
      throw this.error(400, 'BadRequest', target, 'the body is not an object', context);
    }
    const obj = wire(without(body, ['status'])) as Stored;
    const meta = obj.metadata;
    if (meta.namespace !== undefined && meta.namespace !== target.namespace) {
      throw this.error(
        400,
        'BadRequest',
        target,
        'the namespace of the provided object does not match the namespace sent on the request',
        context,
      );
    }
    const name = meta.name ?? (meta.generateName ? `${meta.generateName}${this.suffix()}` : '');
    if (!name) {
      throw this.error(422, 'Invalid', target, 'metadata.name: Required value', context);
    }
    const key = objectPath(target, name);
    if (this.objects.has(key)) {
      throw this.error(
        409,
        'AlreadyExists',
        { ...target, name },
        `${this.resourceName({ ...target, name })} already exists`,
        context,
      );
    }
    const {
      deletionTimestamp: _d,
      deletionGracePeriodSeconds: _g,
      managedFields: _m,
      ...rest
    } = meta;
    obj.metadata = {
      ...rest,
      name,
      ...(target.namespace !== undefined ? { namespace: target.namespace } : {}),
      uid: this.nextUid(),
      resourceVersion: this.nextResourceVersion(),
      generation: 1,
      creationTimestamp: timestamp(this.clock.now()),
    };
    this.objects.set(key, { target: { ...target, name }, obj, statusOwners: new Map() });
    return obj;
  }

  private update(
    key: string,
    entry: Entry,
    target: Target,
    body: unknown,
    context: string,
  ): Stored {
    if (!isObject(body) || !isObject(body.metadata)) {
      throw this.error(400, 'BadRequest', target, 'the body is not an object', context);
    }
    const sent = (body as Stored).metadata.resourceVersion;
    if (sent === undefined || sent === '') {
      throw this.error(
        422,
        'Invalid',
        target,
        'metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
        context,
      );
    }
    this.checkResourceVersion(entry, target, sent, context);
    return this.write(key, entry, target, body as Stored, context);
  }

  private patch(
    key: string,
    entry: Entry,
    target: Target,
    call: RecordedCall,
    context: string,
  ): Stored {
    if (call.contentType === jsonPatchType) {
      throw new Error('RecordingApi does not support JSON patch');
    }
    if (call.contentType !== mergePatchType && call.contentType !== applyPatchType) {
      throw this.error(
        415,
        'UnsupportedMediaType',
        target,
        `the body of the request was in an unknown format: ${call.contentType ?? ''}`,
        context,
      );
    }
    const body = call.body;
    if (!isObject(body)) {
      throw this.error(400, 'BadRequest', target, 'the patch is not an object', context);
    }
    const sent = isObject(body.metadata) ? body.metadata.resourceVersion : undefined;
    if (typeof sent === 'string') this.checkResourceVersion(entry, target, sent, context);
    if (call.contentType === applyPatchType) {
      return this.applyStatus(key, entry, target, call, body, context);
    }
    return this.write(key, entry, target, mergePatch(entry.obj, body) as Stored, context);
  }

  private applyStatus(
    key: string,
    entry: Entry,
    target: Target,
    call: RecordedCall,
    body: Json,
    context: string,
  ): Stored {
    if (target.subresource !== 'status') {
      throw new Error('RecordingApi supports server-side apply only on the status subresource');
    }
    const manager = call.query?.fieldManager;
    if (!manager) {
      throw this.error(
        400,
        'BadRequest',
        target,
        'PATCH, fieldManager is required for apply requests',
        context,
      );
    }
    if (body.apiVersion !== entry.obj.apiVersion || body.kind !== entry.obj.kind) {
      throw this.error(
        400,
        'BadRequest',
        target,
        `apiVersion and kind must be ${entry.obj.apiVersion ?? ''} ${entry.obj.kind ?? ''}`,
        context,
      );
    }
    const force = call.query?.force === 'true';
    const applied = statusUnits(isObject(body.status) ? body.status : {});
    const current = statusUnits(isObject(entry.obj.status) ? entry.obj.status : {});
    const owners = new Map([...entry.statusOwners].map(([f, m]) => [f, new Set(m)]));
    const conflicts = [...applied]
      .filter(([unit, value]) => {
        const others = [...(owners.get(unit) ?? [])].filter((m) => m !== manager);
        return others.length > 0 && !isDeepStrictEqual(current.get(unit), value);
      })
      .map(([unit]) => unit);
    if (conflicts.length > 0 && !force) {
      // As the API server words it: one cause per field, naming the manager that holds it.
      const causes = conflicts.flatMap((unit) =>
        [...(owners.get(unit) ?? [])]
          .filter((m) => m !== manager)
          .map((m) => ({
            reason: 'FieldManagerConflict',
            message: `conflict with "${m}" with subresource "status"`,
            field: `.status.${unit}`,
          })),
      );
      throw this.error(
        409,
        'Conflict',
        target,
        `Apply failed with ${String(causes.length)} conflicts: ${causes
          .map((c) => `${c.message}: ${c.field}`)
          .join(', ')}`,
        context,
        causes,
      );
    }
    const merged = new Map<string, unknown>();
    for (const [unit, value] of current) {
      const managers = owners.get(unit);
      if (applied.has(unit) || !managers?.has(manager)) {
        merged.set(unit, value);
        continue;
      }
      // No longer applied by this manager: the unit goes unless someone else owns it too.
      managers.delete(manager);
      if (managers.size > 0) merged.set(unit, value);
      else owners.delete(unit);
    }
    for (const [unit, value] of applied) {
      merged.set(unit, value);
      const managers = conflicts.includes(unit)
        ? new Set<string>()
        : (owners.get(unit) ?? new Set<string>());
      owners.set(unit, managers.add(manager));
    }
    const status = statusFromUnits(merged);
    const stored = this.write(key, entry, target, { ...entry.obj, status }, context);
    entry.statusOwners = owners;
    return stored;
  }

  private delete(
    key: string,
    entry: Entry,
    target: Target,
    body: unknown,
    context: string,
  ): KubeObject | Status {
    const preconditions = isObject(body) && isObject(body.preconditions) ? body.preconditions : {};
    const { uid, resourceVersion } = entry.obj.metadata;
    if (typeof preconditions.uid === 'string' && preconditions.uid !== uid) {
      throw this.error(
        409,
        'Conflict',
        target,
        `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${uid ?? ''}`,
        context,
      );
    }
    if (
      typeof preconditions.resourceVersion === 'string' &&
      preconditions.resourceVersion !== resourceVersion
    ) {
      throw this.error(
        409,
        'Conflict',
        target,
        `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${resourceVersion ?? ''}`,
        context,
      );
    }
    const meta = entry.obj.metadata;
    if ((meta.finalizers ?? []).length === 0) {
      this.objects.delete(key);
      this.nextResourceVersion();
      return {
        kind: 'Status',
        status: 'Success',
        details: { name: target.name ?? '', kind: target.plural },
      };
    }
    if (meta.deletionTimestamp !== undefined) return entry.obj;
    entry.obj = {
      ...entry.obj,
      metadata: {
        ...meta,
        deletionTimestamp: timestamp(this.clock.now()),
        deletionGracePeriodSeconds: 0,
        generation: (meta.generation ?? 0) + 1,
        resourceVersion: this.nextResourceVersion(),
      },
    };
    return entry.obj;
  }

  /**
   * Stores `next` as the new state of the object (or of its status, for `/status`), keeping
   * what only the server sets. Returns what the server answers.
   */
  private write(key: string, entry: Entry, target: Target, next: Stored, context: string): Stored {
    const before = entry.obj;
    const status = target.subresource === 'status' ? next.status : before.status;
    const rest = target.subresource === 'status' ? before : next;
    const sentMetadata = isObject(rest.metadata) ? rest.metadata : {};
    const normalized = wire({
      ...without(rest, ['status']),
      ...(status === undefined ? {} : { status }),
      metadata: {
        ...without(sentMetadata, [...systemMetadata, 'managedFields']),
        ...Object.fromEntries(systemMetadata.map((k) => [k, before.metadata[k]])),
      },
    }) as Stored;
    if (isDeepStrictEqual(normalized, before)) return before;
    const added = (normalized.metadata.finalizers ?? []).filter(
      (f) => !(before.metadata.finalizers ?? []).includes(f),
    );
    if (before.metadata.deletionTimestamp !== undefined && added.length > 0) {
      throw this.error(
        422,
        'Invalid',
        target,
        `metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
        context,
      );
    }
    if (specChanged(before, normalized)) {
      normalized.metadata.generation = (before.metadata.generation ?? 0) + 1;
    }
    normalized.metadata.resourceVersion = this.nextResourceVersion();
    if (
      normalized.metadata.deletionTimestamp !== undefined &&
      (normalized.metadata.finalizers ?? []).length === 0
    ) {
      this.objects.delete(key);
    } else {
      entry.obj = normalized;
    }
    return normalized;
  }

  private checkResourceVersion(entry: Entry, target: Target, sent: string, context: string): void {
    if (sent === entry.obj.metadata.resourceVersion) return;
    throw this.error(
      409,
      'Conflict',
      target,
      `Operation cannot be fulfilled on ${this.resourceName(target)}: the object has been modified; please apply your changes to the latest version and try again`,
      context,
    );
  }

  /** `notes.example.kcloud.io "a"`, as the API server names an object in messages. */
  private resourceName(target: Target): string {
    const resource = target.group ? `${target.plural}.${target.group}` : target.plural;
    return `${resource} "${target.name ?? ''}"`;
  }

  private error(
    code: number,
    reason: string,
    target: Target,
    message: string,
    context: string,
    causes?: { message: string; field: string }[],
  ): ApiError {
    const status: Status = {
      kind: 'Status',
      status: 'Failure',
      message,
      reason,
      code,
      details: { name: target.name ?? '', kind: target.plural, ...(causes ? { causes } : {}) },
    };
    return new ApiError(code, status, context);
  }

  private nextResourceVersion(): string {
    this.resourceVersion++;
    return String(this.resourceVersion);
  }

  private nextUid(): string {
    this.uids++;
    return `00000000-0000-4000-8000-${String(this.uids).padStart(12, '0')}`;
  }

  private suffix(): string {
    return (this.uids + this.resourceVersion).toString(36).padStart(5, '0').slice(-5);
  }
}
