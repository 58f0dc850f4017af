// The EIP operator's rows in the OVN northbound database: per pool a switch with a localnet
// port onto the provider network; per VPC router with a bound EIP a gateway port on that
// switch (gateway chassis, default route to the pool's gateway); per bound EIP a
// dnat_and_snat NAT row on the router. Every row carries its owner in external_ids.
import {
  operationsFor,
  type MonitorRequests,
  type nb,
  type Operation,
  type OvsdbClient,
} from '../../../controllers/ovsdb/index.ts';
import { eipKeys, gatewayMac, names } from './names.ts';

const ops = operationsFor<nb.Tables>();

export interface PoolNetwork {
  poolUid: string;
  poolName: string;
  providerNetwork: string;
}

export interface Gateway {
  routerName: string;
  vpcUid: string;
  poolUid: string;
  /** The router's address on the pool's network, with the pool's prefix: 203.0.113.2/24. */
  network: string;
  /** The pool's gateway, the default route's next hop. */
  nextHop: string;
  /** Chassis names, highest priority first. */
  chassis: readonly string[];
  /**
   * BFD's interval between the chassis (ms): a chassis is taken for dead after three missed;
   * 0 leaves OVN's own (a second, so three).
   */
  bfdIntervalMs: number;
}

/** The NB_Global options that set BFD on OVN's tunnels; ovn-northd copies them to the SB. */
const bfdKeys = ['bfd-min-rx', 'bfd-min-tx', 'bfd-mult'] as const;
export const bfdMultiplier = 3;

/** What the BFD options should be for an interval: none for 0 (OVN's defaults). */
export function bfdOptions(intervalMs: number): Record<string, string> {
  if (intervalMs === 0) return {};
  const ms = String(intervalMs);
  return { 'bfd-min-rx': ms, 'bfd-min-tx': ms, 'bfd-mult': String(bfdMultiplier) };
}

export interface EipQoS {
  poolUid: string;
  eipUid: string;
  address: string;
  mbps: number | undefined;
  /** The meter burst for a rate (kbit), the VPC's policy. */
  burstKbit: (rateKbit: number) => number;
}

export interface Nat {
  eipUid: string;
  poolUid: string;
  eipName: string;
  namespace: string;
  vpcUid: string;
  externalIp: string;
  logicalIp: string;
  /** The target's logical switch port: with externalMac, NAT on the target's own chassis. */
  logicalPort: string;
}

const owned = (kind: string, uid: string, extra: Record<string, string> = {}) => ({
  [eipKeys.kind]: kind,
  [eipKeys.uid]: uid,
  ...extra,
});

const sameMap = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length &&
  Object.entries(a).every(([k, v]) => b[k] === v);

/**
 * The pool switch's side of a gateway port. nat-addresses=router: the chassis where the port is
 * active announces its addresses and the NAT addresses it serves (gratuitous ARP), so the
 * provider network learns at once where they went after a failover or a re-binding.
 */
function gatewaySwitchPortOptions(routerPort: string): Record<string, string> {
  return { 'router-port': routerPort, 'nat-addresses': 'router' };
}

export class EipNb {
  static readonly monitoredTables: readonly MonitorRequests<nb.Tables>[] = [
    { table: 'Logical_Router' },
    { table: 'Logical_Router_Port' },
    { table: 'Logical_Router_Static_Route' },
    { table: 'Logical_Switch' },
    { table: 'Logical_Switch_Port' },
    { table: 'Gateway_Chassis' },
    { table: 'NB_Global', columns: ['options'] },
    { table: 'NAT' },
    { table: 'QoS' },
  ];

  readonly ovsdb: OvsdbClient<nb.Tables>;

  constructor(ovsdb: OvsdbClient<nb.Tables>) {
    this.ovsdb = ovsdb;
  }

  private get replica() {
    return this.ovsdb.replica;
  }

  // ---- the pool's external switch ------------------------------------------------------

  poolNetworkMatches(p: PoolNetwork): boolean {
    const sw = this.replica.table('Logical_Switch').findByName(names.poolSwitch(p.poolUid));
    const ln = this.replica.table('Logical_Switch_Port').findByName(names.localnetPort(p.poolUid));
    return (
      sw !== undefined &&
      ln !== undefined &&
      sw.ports.includes(ln._uuid) &&
      ln.type === 'localnet' &&
      ln.options.network_name === p.providerNetwork
    );
  }

  async ensurePoolNetwork(p: PoolNetwork): Promise<void> {
    const swName = names.poolSwitch(p.poolUid);
    const lnName = names.localnetPort(p.poolUid);
    const port = {
      name: lnName,
      type: 'localnet',
      addresses: ['unknown'],
      options: { network_name: p.providerNetwork },
      external_ids: owned('EIPPool', p.poolUid),
    };
    const sw = this.replica.table('Logical_Switch').findByName(swName);
    const ln = this.replica.table('Logical_Switch_Port').findByName(lnName);
    if (!sw) {
      await this.ovsdb.transact([
        ops.insert('Logical_Switch_Port', port, 'ln'),
        ops.insert('Logical_Switch', {
          name: swName,
          ports: ['ln'],
          external_ids: owned('EIPPool', p.poolUid, { [eipKeys.name]: p.poolName }),
        }),
      ]);
      return;
    }
    if (ln && sw.ports.includes(ln._uuid)) {
      await this.ovsdb.transact([
        ops.update('Logical_Switch_Port', [['_uuid', '==', ln._uuid]], {
          type: 'localnet',
          addresses: ['unknown'],
          options: port.options,
        }),
      ]);
      return;
    }
    await this.ovsdb.transact([
      ops.insert('Logical_Switch_Port', port, 'ln'),
      ops.mutate('Logical_Switch', [['_uuid', '==', sw._uuid]], [['ports', 'insert', 'ln']]),
    ]);
  }

  async deletePoolNetwork(poolUid: string): Promise<void> {
    for (const vpc of this.gatewayVpcsOn(poolUid)) await this.deleteGateway(vpc, poolUid);
    const sw = this.replica.table('Logical_Switch').findByName(names.poolSwitch(poolUid));
    if (sw) await this.ovsdb.transact([ops.delete('Logical_Switch', [['_uuid', '==', sw._uuid]])]);
  }

  // ---- a VPC router's gateway port on a pool's network ------------------------------------

  private findRouter(name: string) {
    return this.replica.table('Logical_Router').findByName(name);
  }

  gatewayMatches(g: Gateway): boolean {
    return this.gatewayPortMatches(g) && this.bfdMatches(g.bfdIntervalMs);
  }

  private nbGlobal() {
    const [row] = this.replica.table('NB_Global').rows();
    return row;
  }

  private bfdMatches(intervalMs: number): boolean {
    const options = this.nbGlobal()?.options ?? {};
    const want = bfdOptions(intervalMs);
    return bfdKeys.every((k) => options[k] === want[k]);
  }

  /**
   * Sets the three BFD keys of NB_Global's options and leaves every other key as it is: the
   * options map is shared with whoever else configures OVN.
   */
  private async ensureBfd(intervalMs: number): Promise<void> {
    if (this.bfdMatches(intervalMs)) return;
    const row = this.nbGlobal();
    if (!row)
      throw new Error('the northbound database has no NB_Global row yet (ovn-northd makes it)');
    const want = bfdOptions(intervalMs);
    await this.ovsdb.transact([
      ops.mutate(
        'NB_Global',
        [['_uuid', '==', row._uuid]],
        [
          ['options', 'delete', bfdKeys],
          // In that order: insert leaves a key that is there as it was.
          ...(Object.keys(want).length > 0 ? [['options', 'insert', want] as const] : []),
        ],
      ),
    ]);
  }

  private gatewayPortMatches(g: Gateway): boolean {
    const router = this.findRouter(g.routerName);
    const lrp = this.replica
      .table('Logical_Router_Port')
      .findByName(names.gatewayPort(g.vpcUid, g.poolUid));
    const lsp = this.replica
      .table('Logical_Switch_Port')
      .findByName(names.gatewaySwitchPort(g.vpcUid, g.poolUid));
    if (!router || !lrp || !lsp || !router.ports.includes(lrp._uuid)) return false;
    const chassis = lrp.gateway_chassis
      .map((u) => this.replica.table('Gateway_Chassis').get(u))
      .map((c) => `${c?.chassis_name ?? ''}:${String(c?.priority ?? '')}`)
      .sort();
    const wantChassis = g.chassis.map((c, i) => `${c}:${String(g.chassis.length - i)}`).sort();
    const route = this.gatewayRoute(router, g);
    return (
      lrp.networks.length === 1 &&
      lrp.networks[0] === g.network &&
      JSON.stringify(chassis) === JSON.stringify(wantChassis) &&
      route?.nexthop === g.nextHop &&
      sameMap(lsp.options, gatewaySwitchPortOptions(lrp.name))
    );
  }

  private gatewayRoute(router: nb.LogicalRouter, g: Pick<Gateway, 'vpcUid' | 'poolUid'>) {
    return router.static_routes
      .map((u) => this.replica.table('Logical_Router_Static_Route').get(u))
      .find(
        (r) =>
          r?.external_ids[eipKeys.kind] === 'Gateway' &&
          r.external_ids[eipKeys.vpc] === g.vpcUid &&
          r.external_ids[eipKeys.pool] === g.poolUid,
      );
  }

  /** Writes the gateway port, its chassis, its peer and its default route in one transaction. */
  async ensureGateway(g: Gateway): Promise<void> {
    const router = this.findRouter(g.routerName);
    if (!router) throw new Error(`logical router ${g.routerName} does not exist`);
    const sw = this.replica.table('Logical_Switch').findByName(names.poolSwitch(g.poolUid));
    if (!sw) throw new Error(`the switch of the pool ${g.poolUid} does not exist`);
    await this.ensureBfd(g.bfdIntervalMs);
    if (this.gatewayPortMatches(g)) return;
    // A port that differs is rewritten whole (its chassis, peer and route with it): a rare
    // change (new chassis), and names stay unique.
    await this.deleteGateway(g.vpcUid, g.poolUid);
    const lrpName = names.gatewayPort(g.vpcUid, g.poolUid);
    const lspName = names.gatewaySwitchPort(g.vpcUid, g.poolUid);
    const ids = owned('Gateway', g.vpcUid, { [eipKeys.vpc]: g.vpcUid, [eipKeys.pool]: g.poolUid });
    const operations: Operation[] = [];
    const gcNames = g.chassis.map((_, i) => `gc${String(i)}`);
    g.chassis.forEach((chassis, i) => {
      operations.push(
        ops.insert(
          'Gateway_Chassis',
          {
            name: `${lrpName}-${chassis}`,
            chassis_name: chassis,
            priority: g.chassis.length - i,
            external_ids: ids,
          },
          gcNames[i],
        ),
      );
    });
    operations.push(
      ops.insert(
        'Logical_Router_Port',
        {
          name: lrpName,
          mac: gatewayMac(lrpName),
          networks: [g.network],
          gateway_chassis: gcNames,
          external_ids: ids,
        },
        'lrp',
      ),
      ops.insert(
        'Logical_Router_Static_Route',
        { ip_prefix: '0.0.0.0/0', nexthop: g.nextHop, output_port: lrpName, external_ids: ids },
        'route',
      ),
      ops.mutate(
        'Logical_Router',
        [['_uuid', '==', router._uuid]],
        [
          ['ports', 'insert', 'lrp'],
          ['static_routes', 'insert', 'route'],
        ],
      ),
      ops.insert(
        'Logical_Switch_Port',
        {
          name: lspName,
          type: 'router',
          addresses: ['router'],
          options: gatewaySwitchPortOptions(lrpName),
          external_ids: ids,
        },
        'lsp',
      ),
      ops.mutate('Logical_Switch', [['_uuid', '==', sw._uuid]], [['ports', 'insert', 'lsp']]),
    );
    await this.ovsdb.transact(operations);
  }

  /** The gateway ports written for VPC routers: pool, holder of their address, the address. */
  private *gatewayAddresses(): Iterable<[string, string, string]> {
    for (const lrp of this.replica.table('Logical_Router_Port').rows()) {
      if (lrp.external_ids[eipKeys.kind] !== 'Gateway') continue;
      const ip = lrp.networks[0]?.split('/')[0];
      const vpc = lrp.external_ids[eipKeys.vpc];
      const pool = lrp.external_ids[eipKeys.pool];
      if (ip && vpc && pool) yield [pool, names.gatewayHolder(vpc), ip];
    }
  }

  /** Removes a VPC router's gateway port on a pool's network, with its peer and its route. */
  async deleteGateway(vpcUid: string, poolUid: string): Promise<boolean> {
    const lrp = this.replica
      .table('Logical_Router_Port')
      .findByName(names.gatewayPort(vpcUid, poolUid));
    const lsp = this.replica
      .table('Logical_Switch_Port')
      .findByName(names.gatewaySwitchPort(vpcUid, poolUid));
    const operations: Operation[] = [];
    for (const router of this.replica.table('Logical_Router').rows()) {
      const route = this.gatewayRoute(router, { vpcUid, poolUid });
      const mutations: ['ports' | 'static_routes', 'delete', string][] = [];
      if (lrp && router.ports.includes(lrp._uuid)) mutations.push(['ports', 'delete', lrp._uuid]);
      if (route) mutations.push(['static_routes', 'delete', route._uuid]);
      if (mutations.length > 0) {
        operations.push(ops.mutate('Logical_Router', [['_uuid', '==', router._uuid]], mutations));
      }
    }
    if (lsp) {
      for (const sw of this.replica.table('Logical_Switch').rows()) {
        if (sw.ports.includes(lsp._uuid)) {
          operations.push(
            ops.mutate(
              'Logical_Switch',
              [['_uuid', '==', sw._uuid]],
              [['ports', 'delete', lsp._uuid]],
            ),
          );
        }
      }
    }
    if (operations.length === 0) return false;
    await this.ovsdb.transact(operations);
    return true;
  }

  // ---- bandwidth ---------------------------------------------------------------------------

  /** The QoS rows of one EIP on its pool's switch. */
  private qosOf(poolUid: string, eipUid: string): nb.QoS[] {
    const sw = this.replica.table('Logical_Switch').findByName(names.poolSwitch(poolUid));
    return (sw?.qos_rules ?? [])
      .map((u) => this.replica.table('QoS').get(u))
      .filter(
        (q): q is nb.QoS =>
          q !== undefined &&
          q.external_ids[eipKeys.kind] === 'EIP' &&
          q.external_ids[eipKeys.uid] === eipUid,
      );
  }

  /**
   * An EIP's limit as QoS rows on the pool's switch, where its traffic meets the provider
   * network: from-lport on the localnet port for what comes in to the address, to-lport for
   * what leaves from it. ovn-northd turns each into a meter.
   */
  private desiredQoS(q: EipQoS) {
    if (q.mbps === undefined) return [];
    const ln = names.localnetPort(q.poolUid);
    const rate = q.mbps * 1000;
    const row = (direction: 'from-lport' | 'to-lport', match: string) => ({
      priority: 1000,
      direction,
      match,
      action: {},
      bandwidth: { rate, burst: q.burstKbit(rate) },
      external_ids: owned('EIP', q.eipUid),
    });
    return [
      row('from-lport', `inport == "${ln}" && ip4.dst == ${q.address}`),
      row('to-lport', `outport == "${ln}" && ip4.src == ${q.address}`),
    ];
  }

  qosMatches(q: EipQoS): boolean {
    const have = this.qosOf(q.poolUid, q.eipUid)
      .map(
        (r) => `${r.direction} ${r.match} ${String(r.bandwidth.rate)} ${String(r.bandwidth.burst)}`,
      )
      .sort();
    const want = this.desiredQoS(q)
      .map(
        (r) => `${r.direction} ${r.match} ${String(r.bandwidth.rate)} ${String(r.bandwidth.burst)}`,
      )
      .sort();
    return JSON.stringify(have) === JSON.stringify(want);
  }

  /** Makes the EIP's QoS rows exactly its limit's (none without one), in one transaction. */
  async ensureQoS(q: EipQoS): Promise<void> {
    if (this.qosMatches(q)) return;
    const sw = this.replica.table('Logical_Switch').findByName(names.poolSwitch(q.poolUid));
    if (!sw) throw new Error(`the switch of the pool ${q.poolUid} does not exist`);
    const where = [['_uuid', '==', sw._uuid]] as const;
    const operations: Operation[] = [];
    const old = this.qosOf(q.poolUid, q.eipUid).map((r) => r._uuid);
    if (old.length > 0)
      operations.push(ops.mutate('Logical_Switch', where, [['qos_rules', 'delete', old]]));
    this.desiredQoS(q).forEach((row, i) => {
      operations.push(
        ops.insert('QoS', row, `qos${String(i)}`),
        ops.mutate('Logical_Switch', where, [['qos_rules', 'insert', `qos${String(i)}`]]),
      );
    });
    await this.ovsdb.transact(operations);
  }

  /** Removes an EIP's QoS rows from whichever pool switch holds them. */
  async deleteQoSOf(eipUid: string): Promise<void> {
    const operations: Operation[] = [];
    for (const sw of this.replica.table('Logical_Switch').rows()) {
      const rows = sw.qos_rules.filter((u) => {
        const q = this.replica.table('QoS').get(u);
        return q?.external_ids[eipKeys.kind] === 'EIP' && q.external_ids[eipKeys.uid] === eipUid;
      });
      if (rows.length > 0) {
        operations.push(
          ops.mutate(
            'Logical_Switch',
            [['_uuid', '==', sw._uuid]],
            [['qos_rules', 'delete', rows]],
          ),
        );
      }
    }
    if (operations.length > 0) await this.ovsdb.transact(operations);
  }

  // ---- NAT -----------------------------------------------------------------------------

  /** The NAT rows of one EIP, with the router holding each. */
  natsOf(eipUid: string): { nat: nb.NAT; router: nb.LogicalRouter | undefined }[] {
    const rows = this.replica
      .table('NAT')
      .filter(
        (n) => n.external_ids[eipKeys.kind] === 'EIP' && n.external_ids[eipKeys.uid] === eipUid,
      );
    return rows.map((nat) => ({
      nat,
      router: this.replica.table('Logical_Router').find((r) => r.nat.includes(nat._uuid)),
    }));
  }

  /**
   * The addresses of a pool recorded in OVN (NAT rows of EIPs, gateway ports of routers):
   * holder → address. A restart rebuilds the pool from them as well as from status.
   */
  *recordedAddresses(poolUid: string): Iterable<[string, string]> {
    for (const nat of this.replica.table('NAT').rows()) {
      const uid = nat.external_ids[eipKeys.uid];
      if (
        nat.external_ids[eipKeys.kind] === 'EIP' &&
        nat.external_ids[eipKeys.pool] === poolUid &&
        uid
      ) {
        yield [uid, nat.external_ip];
      }
    }
    for (const [pool, holder, ip] of this.gatewayAddresses()) {
      if (pool === poolUid) yield [holder, ip];
    }
  }

  /** The pools a VPC router has gateway ports on. */
  gatewayPoolsOf(vpcUid: string): string[] {
    return this.replica
      .table('Logical_Router_Port')
      .filter(
        (p) => p.external_ids[eipKeys.kind] === 'Gateway' && p.external_ids[eipKeys.vpc] === vpcUid,
      )
      .map((p) => p.external_ids[eipKeys.pool] ?? '');
  }

  /** Every gateway port on a pool's network: the VPCs that have one. */
  gatewayVpcsOn(poolUid: string): string[] {
    return this.replica
      .table('Logical_Router_Port')
      .filter(
        (p) =>
          p.external_ids[eipKeys.kind] === 'Gateway' && p.external_ids[eipKeys.pool] === poolUid,
      )
      .map((p) => p.external_ids[eipKeys.vpc] ?? '');
  }

  private natRow(n: Nat) {
    return {
      type: 'dnat_and_snat' as const,
      external_ip: n.externalIp,
      logical_ip: n.logicalIp,
      // Distributed: the chassis of the target answers for the address itself (with this MAC)
      // and translates there, so traffic does not detour through the gateway chassis.
      logical_port: n.logicalPort,
      external_mac: gatewayMac(`eip-${n.eipUid}`),
      external_ids: owned('EIP', n.eipUid, {
        [eipKeys.name]: n.eipName,
        [eipKeys.namespace]: n.namespace,
        [eipKeys.vpc]: n.vpcUid,
        [eipKeys.pool]: n.poolUid,
      }),
    };
  }

  natMatches(routerName: string | undefined, n: Nat | undefined, eipUid: string): boolean {
    const rows = this.natsOf(eipUid);
    if (!n || !routerName) return rows.length === 0;
    if (rows.length !== 1) return false;
    const [{ nat, router } = { nat: undefined, router: undefined }] = rows;
    const want = this.natRow(n);
    return (
      router?.name === routerName &&
      nat?.type === want.type &&
      nat.external_ip === want.external_ip &&
      nat.logical_ip === want.logical_ip &&
      nat.logical_port === want.logical_port &&
      nat.external_mac === want.external_mac &&
      sameMap(nat.external_ids, want.external_ids)
    );
  }

  /**
   * Makes the EIP's NAT exactly `n` on `routerName` (or none, unbound), in one transaction: a
   * re-binding moves it with no moment where two routers answer for the address.
   */
  async ensureNat(
    routerName: string | undefined,
    n: Nat | undefined,
    eipUid: string,
  ): Promise<void> {
    if (this.natMatches(routerName, n, eipUid)) return;
    const operations: Operation[] = [];
    for (const { nat, router } of this.natsOf(eipUid)) {
      if (router) {
        operations.push(
          ops.mutate(
            'Logical_Router',
            [['_uuid', '==', router._uuid]],
            [['nat', 'delete', nat._uuid]],
          ),
        );
      }
    }
    if (n && routerName) {
      const router = this.findRouter(routerName);
      if (!router) throw new Error(`logical router ${routerName} does not exist`);
      operations.push(
        ops.insert('NAT', this.natRow(n), 'nat'),
        ops.mutate('Logical_Router', [['_uuid', '==', router._uuid]], [['nat', 'insert', 'nat']]),
      );
    }
    if (operations.length > 0) await this.ovsdb.transact(operations);
  }

  /** Whether any EIP NAT row on the router belongs to the pool (through its gateway's VPC). */
  routerHasNatOf(vpcUid: string): boolean {
    return this.replica
      .table('NAT')
      .rows()
      .some(
        (n) => n.external_ids[eipKeys.kind] === 'EIP' && n.external_ids[eipKeys.vpc] === vpcUid,
      );
  }
}
