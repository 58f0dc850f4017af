// Rows whose owner is gone. Finalizers remove an object's rows before the object goes, but rows
// can still outlive their owner: an object force-deleted (finalizer removed by hand), a
// database restored from a backup, a manager that crashed between two writes of a delete. The
// collector finds rows whose external_ids name an object no cache holds and removes them the
// way that object's own delete would.
import type { Cache } from '../../../controllers/informer/index.ts';
import type { KubeObject } from '../../../controllers/kube/index.ts';
import { ownerOf, type Owner } from '../ovn/index.ts';
import { ownedBy, ownedTables, switchesWithACLsOf, type NbClient } from '../ovn/nb/index.ts';

export interface OrphanCollectorOptions {
  nb: NbClient;
  /** The caches of every kind that owns rows, by kind. */
  owners: Record<string, Cache<KubeObject>>;
  /** Only rows of objects in this namespace are considered (a namespace-scoped manager). */
  namespace?: string;
}

export class OrphanCollector {
  private readonly opts: OrphanCollectorOptions;

  constructor(opts: OrphanCollectorOptions) {
    this.opts = opts;
  }

  /** Owners named by rows in the database that no cache holds, by UID. */
  orphans(): Owner[] {
    const found = new Map<string, Owner>();
    for (const table of ownedTables) {
      for (const row of this.opts.nb.ovsdb.replica.table(table).rows()) {
        const owner = ownerOf((row as { external_ids: Record<string, string> }).external_ids);
        if (!owner || !(owner.kind in this.opts.owners)) continue;
        if (this.opts.namespace !== undefined && owner.namespace !== this.opts.namespace) continue;
        found.set(owner.uid, owner);
      }
    }
    // The rows were read first: an object is in its cache before any row of it is written, so
    // a row seen above whose owner is missing below belongs to an object that is gone.
    const alive = new Set<string>();
    for (const cache of Object.values(this.opts.owners)) {
      for (const obj of cache.list()) if (obj.metadata.uid) alive.add(obj.metadata.uid);
    }
    return [...found.values()].filter((o) => !alive.has(o.uid));
  }

  /** Removes the rows of every orphan; returns the owners whose rows were removed. */
  async sweep(): Promise<Owner[]> {
    const orphans = this.orphans();
    for (const owner of orphans) await this.remove(owner);
    return orphans;
  }

  /**
   * Removes every row the owner's external_ids name, table by table, as the writers of those
   * rows would (a port leaves its switch, a route its router), whatever the rows are called.
   */
  private async remove(owner: Owner): Promise<void> {
    const nb = this.opts.nb;
    const replica = nb.ovsdb.replica;
    const owned = ownedBy(owner.uid);
    for (const router of nb.ownedRows('Logical_Router', owned)) await nb.deleteRouter(router.name);
    for (const sw of nb.ownedRows('Logical_Switch', owned)) await nb.deleteSwitch(sw.name);
    for (const port of nb.ownedRows('Logical_Router_Port', owned)) {
      const router = replica
        .table('Logical_Router')
        .rows()
        .find((r) => r.ports.includes(port._uuid));
      if (router) await nb.deleteRouterPort(router.name, port.name);
    }
    for (const port of nb.ownedRows('Logical_Switch_Port', owned)) {
      const sw = replica
        .table('Logical_Switch')
        .rows()
        .find((r) => r.ports.includes(port._uuid));
      if (sw) await nb.deleteSwitchPort(sw.name, port.name);
    }
    await nb.deleteDhcpOptions(owner.uid);
    for (const group of nb.ownedRows('Port_Group', owned)) await nb.deletePortGroup(group.name);
    for (const sw of switchesWithACLsOf(nb.ovsdb, owner.uid)) {
      await nb.ensureSwitchACLs(sw, owner.uid, []);
    }
    await nb.deleteStaticRoutesOf(owner.uid);
    await nb.deleteRouterPoliciesOf(owner.uid);
  }
}
