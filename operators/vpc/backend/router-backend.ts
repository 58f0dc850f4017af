import type { ExternalClient, Observation } from '../../../controllers/external/index.ts';
import type { VPCObject } from '../api/index.ts';
import { desiredRouter } from '../ovn/index.ts';
import { changedColumns, findRouter, type NbClient } from '../ovn/nb/index.ts';
import { ownerOf } from './owner.ts';

export interface RouterObservation {
  routerName: string;
}

/** A VPC's backend: its OVN logical router. */
export class RouterBackend implements ExternalClient<VPCObject, RouterObservation> {
  private readonly nb: NbClient;

  constructor(nb: NbClient) {
    this.nb = nb;
  }

  observe(vpc: VPCObject): Promise<Observation<RouterObservation>> {
    const desired = desiredRouter(ownerOf(vpc, 'VPC'));
    const row = findRouter(this.nb.ovsdb, desired.name);
    if (!row) return Promise.resolve({ exists: false, upToDate: false });
    return Promise.resolve({
      exists: true,
      upToDate: changedColumns(row, desired) === undefined,
      observed: { routerName: desired.name },
    });
  }

  async create(vpc: VPCObject): Promise<void> {
    await this.nb.ensureRouter(desiredRouter(ownerOf(vpc, 'VPC')));
  }

  async update(vpc: VPCObject): Promise<void> {
    await this.create(vpc);
  }

  async delete(vpc: VPCObject): Promise<void> {
    await this.nb.deleteRouter(desiredRouter(ownerOf(vpc, 'VPC')).name);
  }
}
