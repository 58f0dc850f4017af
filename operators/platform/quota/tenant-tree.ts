// The tenant tree as the objects describe it: each tenant's path to the root, with missing
// parents and cycles found (they make a tenant not Ready and are never followed forever).
import type { TenantObject } from '../api/index.ts';

export type TenantPath =
  | { ok: true; path: string[] }
  | { ok: false; reason: 'ParentNotFound' | 'TenantCycle'; message: string };

export class TenantTree {
  private readonly parents = new Map<string, string | undefined>();

  constructor(tenants: Iterable<TenantObject>) {
    for (const t of tenants) this.parents.set(t.metadata.name ?? '', t.spec.parentRef?.name);
  }

  has(name: string): boolean {
    return this.parents.has(name);
  }

  names(): string[] {
    return [...this.parents.keys()];
  }

  /** From the root down to `name`, or why there is no such path. */
  pathOf(name: string): TenantPath {
    const up: string[] = [];
    for (let at: string | undefined = name; at !== undefined; at = this.parents.get(at)) {
      if (up.includes(at)) {
        return {
          ok: false,
          reason: 'TenantCycle',
          message: `the parents of Tenant ${name} lead back to ${at} (${[...up, at].join(' → ')}); change a parentRef to break the cycle`,
        };
      }
      if (!this.parents.has(at)) {
        return {
          ok: false,
          reason: 'ParentNotFound',
          message: `Tenant ${up.at(-1) ?? name} names parent ${at}, which does not exist; create it or change parentRef`,
        };
      }
      up.push(at);
    }
    return { ok: true, path: up.reverse() };
  }

  /** `name` and every tenant below it (cycles end where they close). */
  subtree(name: string): Set<string> {
    const found = new Set<string>([name]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const [child, parent] of this.parents) {
        if (parent !== undefined && found.has(parent) && !found.has(child)) {
          found.add(child);
          grew = true;
        }
      }
    }
    return found;
  }
}
