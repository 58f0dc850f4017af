import type { Cache } from '../../../controllers/informer/index.ts';
import type { NetworkInterfaceObject, SubnetObject } from '../api/index.ts';
import { containsIP, parseIPv4, SubnetPool } from '../ipam/index.ts';
import { names, ownerKeys, portKeys } from '../ovn/index.ts';
import type { NbClient } from '../ovn/nb/index.ts';

/**
 * The address pools of all Subnets, keyed by Subnet UID. A pool is built on first use from
 * what is recorded, never from memory: the addresses in the interfaces' status and in the OVN
 * ports owned by interfaces (an address written to OVN just before a crash, before its status
 * was saved, is found there; a reserve-only port's in its external_ids).
 */
export class IpamRegistry {
  private readonly pools = new Map<string, SubnetPool>();
  private readonly nb: NbClient;
  private readonly interfaces: Cache<NetworkInterfaceObject>;

  constructor(nb: NbClient, interfaces: Cache<NetworkInterfaceObject>) {
    this.nb = nb;
    this.interfaces = interfaces;
  }

  pool(subnet: SubnetObject, gatewayIP: string): SubnetPool {
    const uid = subnet.metadata.uid ?? '';
    const existing = this.pools.get(uid);
    if (existing) return existing;
    const ns = subnet.metadata.namespace ?? '';
    const pool = new SubnetPool({
      ...subnet.spec,
      gatewayIP,
      describeHolder: (holder) => this.describeHolder(subnet, holder),
    });
    for (const nic of this.interfaces.inNamespace(ns)) {
      if (nic.spec.subnetRef.name !== subnet.metadata.name) continue;
      const ip = nic.status?.ipAddress;
      if (ip && nic.metadata.uid) pool.restore(nic.metadata.uid, ip);
    }
    // Only the ports on this Subnet's switch: other VPCs and namespaces reuse the same ranges.
    const replica = this.nb.ovsdb.replica;
    const sw = replica.table('Logical_Switch').findByName(names.switch(uid));
    for (const portUuid of sw?.ports ?? []) {
      const port = replica.table('Logical_Switch_Port').get(portUuid);
      if (!port) continue;
      const holder = port.external_ids[ownerKeys.uid];
      if (port.external_ids[ownerKeys.kind] !== 'NetworkInterface' || !holder) continue;
      const ips = port.addresses.map((a) => a.split(' ')[1]);
      // A reserve-only port keeps its address in external_ids, not in its addresses.
      ips.push(port.external_ids[portKeys.reservedAddress]);
      for (const ip of ips) {
        if (ip && containsIP(pool.cidr, parseIPv4(ip))) pool.restore(holder, ip);
      }
    }
    this.pools.set(uid, pool);
    return pool;
  }

  /**
   * The interface holding an address, as users know it: NetworkInterface namespace/name, from
   * the interfaces' cache or, for one whose object is already gone, from its OVN port.
   */
  private describeHolder(subnet: SubnetObject, uid: string): string {
    const ns = subnet.metadata.namespace ?? '';
    const nic = this.interfaces.inNamespace(ns).find((n) => n.metadata.uid === uid);
    if (nic) return `NetworkInterface ${ns}/${nic.metadata.name ?? ''}`;
    const port = this.nb.ovsdb.replica
      .table('Logical_Switch_Port')
      .findByName(names.interfacePort(uid));
    const name = port?.external_ids[ownerKeys.name];
    if (port && name) {
      return `NetworkInterface ${port.external_ids[ownerKeys.namespace] ?? ns}/${name}`;
    }
    return `a NetworkInterface that no longer exists (uid ${uid})`;
  }

  forget(subnetUid: string): void {
    this.pools.delete(subnetUid);
  }
}
