import type { ApiTransport } from './api-client.ts';
import type { KubeObject, ObjectList, Status, WatchEvent } from './object.ts';
import { apiVersionOf, resourcePath, type ResourceRef } from './resource.ts';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  signal?: AbortSignal;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan';
  allowWatchBookmarks?: boolean;
  /** Ask the server for the current state first, as ADDED events, then a bookmark. */
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export type PatchType = 'merge' | 'json' | 'apply';

const patchContentType: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface PatchOptions {
  subresource?: 'status';
  /** Required for server-side apply; recorded in managedFields for other patches. */
  fieldManager?: string;
  force?: boolean;
  signal?: AbortSignal;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  /** Delete only if the object still has this UID / resourceVersion. */
  preconditions?: { uid?: string; resourceVersion?: string };
  signal?: AbortSignal;
}

/** CRUD, patch and watch for one kind, over an ApiClient. */
export class ObjectClient<T extends KubeObject> {
  readonly api: ApiTransport;
  readonly ref: ResourceRef;

  constructor(api: ApiTransport, ref: ResourceRef) {
    this.api = api;
    this.ref = ref;
  }

  private path(namespace?: string, name?: string, sub?: string): string {
    return resourcePath(this.ref, namespace, name, sub);
  }

  private withType(obj: T): T {
    if (!this.ref.kind) return obj;
    return {
      ...obj,
      apiVersion: obj.apiVersion ?? apiVersionOf(this.ref),
      kind: obj.kind ?? this.ref.kind,
    };
  }

  get(namespace: string | undefined, name: string, signal?: AbortSignal): Promise<T> {
    return this.api.request<T>({ method: 'GET', path: this.path(namespace, name), signal });
  }

  /** One page of a list. */
  list(opts: ListOptions = {}): Promise<ObjectList<T>> {
    return this.api.request<ObjectList<T>>({
      method: 'GET',
      path: this.path(opts.namespace),
      query: {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
      },
      signal: opts.signal,
    });
  }

  /** Every page of a list, `pageSize` objects per request. */
  async listAll(opts: Omit<ListOptions, 'limit' | 'continue'> & { pageSize?: number } = {}) {
    const { pageSize = 500, ...rest } = opts;
    const items: T[] = [];
    let cont: string | undefined;
    do {
      const page = await this.list({
        ...rest,
        limit: pageSize,
        ...(cont ? { continue: cont } : {}),
      });
      items.push(...page.items);
      cont = page.metadata.continue || undefined;
    } while (cont);
    return items;
  }

  create(obj: T, signal?: AbortSignal): Promise<T> {
    return this.api.request<T>({
      method: 'POST',
      path: this.path(obj.metadata.namespace),
      body: this.withType(obj),
      signal,
    });
  }

  /** PUT: fails with 409 Conflict when obj.metadata.resourceVersion is stale. */
  update(obj: T, signal?: AbortSignal): Promise<T> {
    return this.api.request<T>({
      method: 'PUT',
      path: this.path(obj.metadata.namespace, obj.metadata.name),
      body: this.withType(obj),
      signal,
    });
  }

  /** PUT on /status: only status changes; 409 Conflict when the resourceVersion is stale. */
  updateStatus(obj: T, signal?: AbortSignal): Promise<T> {
    return this.api.request<T>({
      method: 'PUT',
      path: this.path(obj.metadata.namespace, obj.metadata.name, 'status'),
      body: this.withType(obj),
      signal,
    });
  }

  patch(
    namespace: string | undefined,
    name: string,
    type: PatchType,
    body: unknown,
    opts: PatchOptions = {},
  ): Promise<T> {
    if (type === 'apply' && !opts.fieldManager) {
      throw new Error('server-side apply needs a fieldManager');
    }
    return this.api.request<T>({
      method: 'PATCH',
      path: this.path(namespace, name, opts.subresource),
      query: {
        fieldManager: opts.fieldManager,
        force: type === 'apply' ? (opts.force ?? false) : undefined,
      },
      body,
      contentType: patchContentType[type],
      signal: opts.signal,
    });
  }

  delete(
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<Status | T> {
    const hasBody = opts.propagationPolicy !== undefined || opts.preconditions !== undefined;
    return this.api.request<Status | T>({
      method: 'DELETE',
      path: this.path(namespace, name),
      body: hasBody
        ? {
            apiVersion: 'v1',
            kind: 'DeleteOptions',
            propagationPolicy: opts.propagationPolicy,
            preconditions: opts.preconditions,
          }
        : undefined,
      signal: opts.signal,
    });
  }

  /** A watch stream; ends when the server closes it (timeoutSeconds) or the signal aborts. */
  async *watch(opts: WatchOptions): AsyncGenerator<WatchEvent<T>> {
    for await (const line of this.api.lines({
      method: 'GET',
      path: this.path(opts.namespace),
      query: {
        watch: true,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
        allowWatchBookmarks: opts.allowWatchBookmarks,
        sendInitialEvents: opts.sendInitialEvents,
        timeoutSeconds: opts.timeoutSeconds,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
      },
      signal: opts.signal,
    })) {
      yield JSON.parse(line) as WatchEvent<T>;
    }
  }
}
