import type { ExternalClient, Observation } from '../../../controllers/external/index.ts';
import type { Cache } from '../../../controllers/informer/index.ts';
import type { RouteTableObject, SubnetObject, VPCObject } from '../api/index.ts';
import { desiredSubnet, names, type DesiredSubnet } from '../ovn/index.ts';
import {
  changedColumns,
  findDhcpOptions,
  findRouter,
  findRouterPort,
  findSwitch,
  findSwitchPort,
  type NbClient,
} from '../ovn/nb/index.ts';
import { routeTableOf } from './bindings.ts';
import { ownerOf } from './owner.ts';
import { checkSubnetRange, gatewayOf, vpcOf } from './references.ts';

export interface SubnetObservation {
  switchName: string;
  gatewayIP: string;
}

/**
 * A Subnet's backend: its logical switch, the VPC router's port on the gateway address (naming
 * the route table of the Subnet's RouteTable), the switch's port facing the router, and its
 * DHCP options.
 */
export class SubnetBackend implements ExternalClient<SubnetObject, SubnetObservation> {
  private readonly nb: NbClient;
  private readonly vpcs: Cache<VPCObject>;
  private readonly subnets: Cache<SubnetObject>;
  private readonly routeTables: Cache<RouteTableObject>;

  constructor(
    nb: NbClient,
    vpcs: Cache<VPCObject>,
    subnets: Cache<SubnetObject>,
    routeTables: Cache<RouteTableObject>,
  ) {
    this.nb = nb;
    this.vpcs = vpcs;
    this.subnets = subnets;
    this.routeTables = routeTables;
  }

  private desired(subnet: SubnetObject, vpc: VPCObject): DesiredSubnet {
    const table = routeTableOf(
      subnet,
      this.routeTables.inNamespace(subnet.metadata.namespace ?? ''),
    );
    return desiredSubnet({
      owner: ownerOf(subnet, 'Subnet'),
      vpcUid: vpc.metadata.uid ?? '',
      cidrBlock: subnet.spec.cidrBlock,
      gatewayIP: gatewayOf(subnet),
      dhcp: {
        enabled: subnet.spec.dhcp?.enabled ?? true,
        leaseTimeSeconds: subnet.spec.dhcp?.leaseTimeSeconds ?? 3600,
      },
      dnsServers: subnet.spec.dnsServers ?? vpc.spec.dnsServers ?? [],
      ...(table ? { routeTable: names.routeTable(table.metadata.uid ?? '') } : {}),
    });
  }

  observe(subnet: SubnetObject): Promise<Observation<SubnetObservation>> {
    const c = this.nb.ovsdb;
    const uid = subnet.metadata.uid ?? '';
    const sw = findSwitch(c, names.switch(uid));
    if (!sw) return Promise.resolve({ exists: false, upToDate: false });
    const observed = { switchName: sw.name, gatewayIP: gatewayOf(subnet) };
    const vpc = this.vpcs.get(`${subnet.metadata.namespace ?? ''}/${subnet.spec.vpcRef.name}`);
    if (!vpc) return Promise.resolve({ exists: true, upToDate: false, observed });
    const d = this.desired(subnet, vpc);
    const router = findRouter(c, names.router(vpc.metadata.uid ?? ''));
    const lrp = findRouterPort(c, d.routerPort.name);
    const lsp = findSwitchPort(c, d.switchRouterPort.name);
    const dhcp = findDhcpOptions(c, uid);
    const upToDate =
      changedColumns(sw, d.logicalSwitch) === undefined &&
      lrp !== undefined &&
      changedColumns(lrp, d.routerPort) === undefined &&
      (router?.ports.includes(lrp._uuid) ?? false) &&
      lsp !== undefined &&
      changedColumns(lsp, d.switchRouterPort) === undefined &&
      sw.ports.includes(lsp._uuid) &&
      (d.dhcp
        ? dhcp !== undefined && changedColumns(dhcp, d.dhcp) === undefined
        : dhcp === undefined);
    return Promise.resolve({ exists: true, upToDate, observed });
  }

  async create(subnet: SubnetObject): Promise<void> {
    const vpc = vpcOf(subnet, this.vpcs);
    checkSubnetRange(subnet, vpc, this.subnets);
    const d = this.desired(subnet, vpc);
    const uid = subnet.metadata.uid ?? '';
    await this.nb.ensureSwitch(d.logicalSwitch);
    await this.nb.ensureRouterPort(names.router(vpc.metadata.uid ?? ''), d.routerPort);
    await this.nb.ensureSwitchPort(d.logicalSwitch.name, d.switchRouterPort);
    if (d.dhcp) await this.nb.ensureDhcpOptions(d.dhcp);
    else await this.nb.deleteDhcpOptions(uid);
  }

  async update(subnet: SubnetObject): Promise<void> {
    await this.create(subnet);
  }

  async delete(subnet: SubnetObject): Promise<void> {
    const uid = subnet.metadata.uid ?? '';
    await this.nb.deleteSwitch(names.switch(uid));
    const vpc = this.vpcs.get(`${subnet.metadata.namespace ?? ''}/${subnet.spec.vpcRef.name}`);
    if (vpc)
      await this.nb.deleteRouterPort(names.router(vpc.metadata.uid ?? ''), names.routerPort(uid));
    await this.nb.deleteDhcpOptions(uid);
  }
}
