import { objectKey, type KubeObject } from '../kube/index.ts';

/** Maps an object to the index values it is found under (e.g. its host, its subnet). */
export type IndexFunc<T> = (obj: T) => string[];

export const namespaceIndex = 'namespace';
export const labelIndex = 'label';

/** The label index stores `key=value` for every label of an object. */
export function labelIndexValue(key: string, value: string): string {
  return `${key}=${value}`;
}

const builtInIndexers: Record<string, IndexFunc<KubeObject>> = {
  [namespaceIndex]: (o) => [o.metadata.namespace ?? ''],
  [labelIndex]: (o) =>
    Object.entries(o.metadata.labels ?? {}).map(([k, v]) => labelIndexValue(k, v)),
};

export interface ReplaceResult<T> {
  added: T[];
  updated: [T, T][];
  deleted: T[];
}

/**
 * The informer's local copy of a kind, keyed by namespace/name, with indexes kept up to date on
 * every change. Objects handed out are the cache's own: treat them as read-only (the controller
 * gives reconcilers a copy).
 */
export class Cache<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** index name → index value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    for (const [name, fn] of Object.entries({ ...builtInIndexers, ...indexers })) {
      this.addIndexer(name, fn);
    }
  }

  /** Adds an index; objects already cached are indexed at once. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexers.has(name)) throw new Error(`index ${name} already exists`);
    this.indexers.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indices.set(name, index);
    for (const [key, obj] of this.items) {
      for (const v of fn(obj)) addTo(index, v, key);
    }
  }

  /**
   * The lookup of an index, added unless one of that name exists: controllers of a product that
   * share an informer ask for the same index (name it `<product>.<what>`, one function per name).
   */
  ensureIndexer(name: string, fn: IndexFunc<T>): (value: string) => T[] {
    if (!this.indexers.has(name)) this.addIndexer(name, fn);
    return (value) => this.byIndex(name, value);
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  /** Objects whose index function returned `value`. */
  byIndex(index: string, value: string): T[] {
    const idx = this.indices.get(index);
    if (!idx) throw new Error(`no index named ${index}`);
    const keys = idx.get(value);
    if (!keys) return [];
    const out: T[] = [];
    for (const k of keys) {
      const o = this.items.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  /** Objects in one namespace. */
  inNamespace(namespace: string): T[] {
    return this.byIndex(namespaceIndex, namespace);
  }

  /** Objects carrying every one of these labels. */
  withLabels(labels: Record<string, string>): T[] {
    const entries = Object.entries(labels);
    const first = entries[0];
    if (!first) return this.list();
    return this.byIndex(labelIndex, labelIndexValue(first[0], first[1])).filter((o) =>
      entries.every(([k, v]) => o.metadata.labels?.[k] === v),
    );
  }

  /** Inserts or replaces; returns the previous object. */
  upsert(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    return old;
  }

  remove(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  /** Replaces the whole content (after a relist) and says what changed. */
  replace(objs: T[]): ReplaceResult<T> {
    const result: ReplaceResult<T> = { added: [], updated: [], deleted: [] };
    const seen = new Set<string>();
    for (const obj of objs) {
      const key = objectKey(obj);
      seen.add(key);
      const old = this.upsert(obj);
      if (!old) result.added.push(obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) {
        result.updated.push([old, obj]);
      }
    }
    for (const key of [...this.items.keys()]) {
      if (!seen.has(key)) {
        const old = this.remove(key);
        if (old) result.deleted.push(old);
      }
    }
    return result;
  }

  private index(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name);
      if (idx) for (const v of fn(obj)) addTo(idx, v, key);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const idx = this.indices.get(name);
      if (!idx) continue;
      for (const v of fn(obj)) {
        const keys = idx.get(v);
        keys?.delete(key);
        if (keys?.size === 0) idx.delete(v);
      }
    }
  }
}

function addTo(index: Map<string, Set<string>>, value: string, key: string): void {
  let keys = index.get(value);
  if (!keys) {
    keys = new Set();
    index.set(value, keys);
  }
  keys.add(key);
}
