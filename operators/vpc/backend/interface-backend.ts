import {
  ReconcileError,
  type ExternalClient,
  type Observation,
} from '../../../controllers/external/index.ts';
import type { Cache } from '../../../controllers/informer/index.ts';
import {
  requestedChassisAnnotation,
  requestedChassisOf,
  type NetworkInterfaceObject,
  type SecurityGroupObject,
  type SubnetObject,
} from '../api/index.ts';
import { parseCidr } from '../ipam/index.ts';
import {
  derivedMac,
  desiredInterfacePort,
  desiredInterfaceQoS,
  interfacePortAddress,
  names,
  ownerKeys,
  withRequestedChassis,
} from '../ovn/index.ts';
import {
  changedColumns,
  switchQoSMatch,
  findDhcpOptions,
  findSwitch,
  findSwitchPort,
  type NbClient,
} from '../ovn/nb/index.ts';
import type { IpamRegistry } from './ipam-registry.ts';
import { inBaseline, joinBaseline, leaveBaseline } from './baseline.ts';
import { ownerOf } from './owner.ts';
import { gatewayOf, readySubnet } from './references.ts';

export interface InterfaceObservation {
  ipAddress: string;
  macAddress: string;
  portName: string;
  gatewayIP: string;
  prefixLength: number;
}

/** A NetworkInterface's backend: its logical switch port, with an address from IPAM. */
export class InterfaceBackend implements ExternalClient<
  NetworkInterfaceObject,
  InterfaceObservation
> {
  private readonly nb: NbClient;
  private readonly subnets: Cache<SubnetObject>;
  private readonly ipam: IpamRegistry;
  private readonly groups: Cache<SecurityGroupObject>;

  constructor(
    nb: NbClient,
    subnets: Cache<SubnetObject>,
    ipam: IpamRegistry,
    groups: Cache<SecurityGroupObject>,
  ) {
    this.nb = nb;
    this.subnets = subnets;
    this.ipam = ipam;
    this.groups = groups;
  }

  /** A SecurityGroup of another VPC cannot hold the interface: refused before anything is written. */
  private checkGroups(nic: NetworkInterfaceObject, subnet: SubnetObject): void {
    const ns = nic.metadata.namespace ?? '';
    for (const { name } of nic.spec.securityGroupRefs ?? []) {
      const group = this.groups.get(`${ns}/${name}`);
      if (group && group.spec.vpcRef.name !== subnet.spec.vpcRef.name) {
        throw new ReconcileError(
          'SecurityGroupNotInVPC',
          `SecurityGroup ${name} belongs to VPC ${group.spec.vpcRef.name}, the interface to ${subnet.spec.vpcRef.name}`,
          { retry: false },
        );
      }
    }
  }

  /** The interface's port as it should be: what observe compares with and create writes. */
  private portOf(
    nic: NetworkInterfaceObject,
    vpcUid: string,
    ipAddress: string,
    requestedChassis: string | undefined,
  ) {
    return withRequestedChassis(
      desiredInterfacePort({
        owner: ownerOf(nic, 'NetworkInterface'),
        vpcUid,
        ipAddress,
        macAddress: this.macOf(nic),
        portSecurity: nic.spec.portSecurity ?? true,
        reserveOnly: nic.spec.reserveOnly ?? false,
      }),
      requestedChassis,
    );
  }

  /** The chassis the port is fenced to; a value that is not one chassis name is refused. */
  private chassisOf(nic: NetworkInterfaceObject): string | undefined {
    const asked = requestedChassisOf(nic);
    if ('invalid' in asked) {
      throw new ReconcileError(
        'InvalidRequestedChassis',
        `annotation ${requestedChassisAnnotation}=${JSON.stringify(asked.invalid)} is not one OVN chassis name: set it to one name or remove it`,
        { retry: false },
      );
    }
    return asked.chassis;
  }

  private subnetOf(nic: NetworkInterfaceObject): SubnetObject {
    return readySubnet(this.subnets, nic.metadata.namespace ?? '', nic.spec.subnetRef.name);
  }

  private macOf(nic: NetworkInterfaceObject): string {
    return nic.spec.macAddress ?? derivedMac(nic.metadata.uid ?? '');
  }

  /** Its bandwidth limits as QoS rows on its switch (none without limits). */
  private qosOf(nic: NetworkInterfaceObject, vpcUid: string) {
    return desiredInterfaceQoS({
      owner: ownerOf(nic, 'NetworkInterface'),
      vpcUid,
      portName: names.interfacePort(nic.metadata.uid ?? ''),
      bandwidth: nic.spec.bandwidth,
    });
  }

  /** The address: the one already held, else a fixed or a free one. Nothing is written. */
  private address(nic: NetworkInterfaceObject, subnet: SubnetObject): string {
    const pool = this.ipam.pool(subnet, gatewayOf(subnet));
    const result = pool.allocate(
      nic.metadata.uid ?? '',
      nic.spec.ipAddress ?? nic.status?.ipAddress,
    );
    if (!result.ok) {
      // A full subnet may free up; a taken or impossible fixed address needs an edit.
      throw new ReconcileError(result.reason, result.message, {
        retry: result.reason === 'SubnetFull',
      });
    }
    return result.ip;
  }

  observe(nic: NetworkInterfaceObject): Promise<Observation<InterfaceObservation>> {
    const c = this.nb.ovsdb;
    const portName = names.interfacePort(nic.metadata.uid ?? '');
    const port = findSwitchPort(c, portName);
    if (!port) return Promise.resolve({ exists: false, upToDate: false });
    const subnet = this.subnets.get(`${nic.metadata.namespace ?? ''}/${nic.spec.subnetRef.name}`);
    const { mac, ip } = interfacePortAddress(port);
    const observed: InterfaceObservation = {
      ipAddress: ip,
      macAddress: mac,
      portName,
      gatewayIP: subnet ? gatewayOf(subnet) : '',
      prefixLength: subnet ? parseCidr(subnet.spec.cidrBlock).prefix : 0,
    };
    if (!subnet || !ip) return Promise.resolve({ exists: true, upToDate: false, observed });
    let requestedChassis: string | undefined;
    try {
      this.checkGroups(nic, subnet);
      requestedChassis = this.chassisOf(nic);
    } catch {
      return Promise.resolve({ exists: true, upToDate: false, observed });
    }
    const pool = this.ipam.pool(subnet, gatewayOf(subnet));
    const held = pool.addressOf(nic.metadata.uid ?? '');
    const wanted = nic.spec.ipAddress ?? held ?? ip;
    const desired = this.portOf(
      nic,
      port.external_ids[ownerKeys.vpc] ?? '',
      wanted,
      requestedChassis,
    );
    const sw = findSwitch(c, names.switch(subnet.metadata.uid ?? ''));
    const dhcp = findDhcpOptions(c, subnet.metadata.uid ?? '');
    const upToDate =
      held === ip &&
      changedColumns(port, desired) === undefined &&
      (sw?.ports.includes(port._uuid) ?? false) &&
      port.dhcpv4_options === dhcp?._uuid &&
      inBaseline(this.nb, subnet.metadata.uid ?? '', port._uuid) &&
      sw !== undefined &&
      switchQoSMatch(
        c,
        sw.name,
        nic.metadata.uid ?? '',
        this.qosOf(nic, port.external_ids[ownerKeys.vpc] ?? ''),
      );
    return Promise.resolve({ exists: true, upToDate, observed });
  }

  async create(nic: NetworkInterfaceObject): Promise<void> {
    const subnet = this.subnetOf(nic);
    this.checkGroups(nic, subnet);
    const requestedChassis = this.chassisOf(nic);
    const ip = this.address(nic, subnet);
    const sw = findSwitch(this.nb.ovsdb, names.switch(subnet.metadata.uid ?? ''));
    if (!sw)
      throw new ReconcileError(
        'SubnetNotReady',
        `the switch of Subnet ${subnet.metadata.name ?? ''} is missing`,
      );
    const dhcp = findDhcpOptions(this.nb.ovsdb, subnet.metadata.uid ?? '');
    const portUuid = await this.nb.ensureSwitchPort(
      sw.name,
      this.portOf(nic, sw.external_ids[ownerKeys.vpc] ?? '', ip, requestedChassis),
      dhcp ? { dhcpv4Options: dhcp._uuid } : {},
    );
    // Inbound denied, outbound allowed, until a SecurityGroup opens more.
    await joinBaseline(this.nb, subnet.metadata.uid ?? '', portUuid);
    // After the port: a meter never names a port that does not exist yet.
    await this.nb.ensureSwitchQoS(
      sw.name,
      nic.metadata.uid ?? '',
      this.qosOf(nic, sw.external_ids[ownerKeys.vpc] ?? ''),
    );
  }

  async update(nic: NetworkInterfaceObject): Promise<void> {
    await this.create(nic);
  }

  async delete(nic: NetworkInterfaceObject): Promise<void> {
    const c = this.nb.ovsdb;
    const portName = names.interfacePort(nic.metadata.uid ?? '');
    // Its meters before its port: no moment where a row limits a port that is gone.
    await this.nb.deleteQoSOf(nic.metadata.uid ?? '');
    const port = findSwitchPort(c, portName);
    if (port) {
      const sw = c.replica.table('Logical_Switch').find((s) => s.ports.includes(port._uuid));
      if (sw) await this.nb.deleteSwitchPort(sw.name, portName);
    }
    await leaveBaseline(this.nb);
    const subnet = this.subnets.get(`${nic.metadata.namespace ?? ''}/${nic.spec.subnetRef.name}`);
    if (subnet) this.ipam.pool(subnet, gatewayOf(subnet)).release(nic.metadata.uid ?? '');
  }
}
