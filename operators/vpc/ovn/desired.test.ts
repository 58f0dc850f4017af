import { describe, expect, it } from '@jest/globals';
import {
  desiredInterfacePort,
  desiredRouter,
  desiredSubnet,
  interfacePortAddress,
} from './desired.ts';
import { derivedMac, names, ownerOf } from './ownership.ts';

const vpc = { kind: 'VPC', namespace: 'team-a', name: 'prod', uid: 'vpc-uid-1' };
const subnet = { kind: 'Subnet', namespace: 'team-a', name: 'web', uid: 'sub-uid-1' };

describe('desired OVN rows', () => {
  it('names every row after its owner and records the owner in external_ids', () => {
    const lr = desiredRouter(vpc);
    expect(lr.name).toBe('kcloud-vpc-vpc-uid-1');
    expect(ownerOf(lr.external_ids)).toEqual(vpc);
    expect(lr.external_ids['kcloud.io/vpc-uid']).toBe('vpc-uid-1');
  });

  it('gives a subnet a switch, a router port on the gateway, and DHCP options', () => {
    const d = desiredSubnet({
      owner: subnet,
      vpcUid: vpc.uid,
      cidrBlock: '10.0.1.0/24',
      gatewayIP: '10.0.1.1',
      dhcp: { enabled: true, leaseTimeSeconds: 3600 },
      dnsServers: ['10.0.0.2', '10.0.0.3'],
    });
    expect(d.logicalSwitch.name).toBe(names.switch('sub-uid-1'));
    expect(d.routerPort).toMatchObject({
      name: names.routerPort('sub-uid-1'),
      networks: ['10.0.1.1/24'],
    });
    expect(d.switchRouterPort).toMatchObject({
      type: 'router',
      addresses: ['router'],
      options: { 'router-port': names.routerPort('sub-uid-1') },
    });
    expect(d.dhcp).toMatchObject({
      cidr: '10.0.1.0/24',
      options: {
        server_id: '10.0.1.1',
        router: '10.0.1.1',
        server_mac: d.routerPort.mac,
        lease_time: '3600',
        dns_server: '{10.0.0.2, 10.0.0.3}',
      },
    });
    for (const row of [d.logicalSwitch, d.routerPort, d.switchRouterPort, d.dhcp]) {
      expect(ownerOf(row?.external_ids ?? {})).toEqual(subnet);
      expect(row?.external_ids['kcloud.io/vpc-uid']).toBe(vpc.uid);
    }
  });

  it('leaves DHCP out when the subnet turns it off', () => {
    const d = desiredSubnet({
      owner: subnet,
      vpcUid: vpc.uid,
      cidrBlock: '10.0.1.0/24',
      gatewayIP: '10.0.1.1',
      dhcp: { enabled: false, leaseTimeSeconds: 3600 },
      dnsServers: [],
    });
    expect(d.dhcp).toBeUndefined();
  });

  it('derives a stable, locally administered unicast MAC from an object', () => {
    const mac = derivedMac('sub-uid-1/router');
    expect(mac).toBe(derivedMac('sub-uid-1/router'));
    expect(mac).not.toBe(derivedMac('sub-uid-2/router'));
    expect(mac).toMatch(/^0a(:[0-9a-f]{2}){5}$/);
  });

  it('locks an interface port to its MAC and address unless port security is off', () => {
    const nic = { kind: 'NetworkInterface', namespace: 'team-a', name: 'eni-1', uid: 'nic-uid-1' };
    const on = desiredInterfacePort({
      owner: nic,
      vpcUid: vpc.uid,
      ipAddress: '10.0.1.5',
      macAddress: '02:00:00:00:00:01',
      portSecurity: true,
    });
    expect(on).toMatchObject({
      name: 'kcloud-eni-nic-uid-1',
      addresses: ['02:00:00:00:00:01 10.0.1.5'],
      port_security: ['02:00:00:00:00:01 10.0.1.5'],
    });
    const off = desiredInterfacePort({
      owner: nic,
      vpcUid: vpc.uid,
      ipAddress: '10.0.1.5',
      macAddress: '02:00:00:00:00:01',
      portSecurity: false,
    });
    expect(off.port_security).toEqual([]);
  });

  it('gives a reserve-only interface a port with its MAC alone and the address in external_ids', () => {
    const nic = { kind: 'NetworkInterface', namespace: 'team-a', name: 'lb-vip', uid: 'nic-uid-2' };
    const port = desiredInterfacePort({
      owner: nic,
      vpcUid: vpc.uid,
      ipAddress: '10.0.1.100',
      macAddress: '02:00:00:00:00:02',
      portSecurity: true,
      reserveOnly: true,
    });
    expect(port).toMatchObject({
      addresses: ['02:00:00:00:00:02'],
      port_security: ['02:00:00:00:00:02'],
    });
    expect(port.external_ids['kcloud.io/reserved-address']).toBe('10.0.1.100');
    expect(
      interfacePortAddress({ addresses: port.addresses ?? [], external_ids: port.external_ids }),
    ).toEqual({
      mac: '02:00:00:00:00:02',
      ip: '10.0.1.100',
    });
    const ordinary = desiredInterfacePort({
      owner: nic,
      vpcUid: vpc.uid,
      ipAddress: '10.0.1.100',
      macAddress: '02:00:00:00:00:02',
      portSecurity: true,
    });
    expect(ordinary.external_ids).not.toHaveProperty(['kcloud.io/reserved-address']);
    expect(interfacePortAddress({ addresses: ordinary.addresses ?? [], external_ids: {} }).ip).toBe(
      '10.0.1.100',
    );
  });
});
