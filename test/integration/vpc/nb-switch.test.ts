// Logical switches, their ports and DHCP options against a real northbound ovsdb-server, and
// a whole VPC built from the desired rows and seen through ovn-nbctl.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  desiredInterfacePort,
  desiredRouter,
  desiredSubnet,
  type DesiredSubnet,
} from '../../../operators/vpc/ovn/index.ts';
import { startNb, type NbFixture } from './nb-fixture.ts';

const vpc = { kind: 'VPC', namespace: 'ns', name: 'prod', uid: 'vpc-1' };
const router = desiredRouter(vpc);

function subnet(n: number): DesiredSubnet {
  return desiredSubnet({
    owner: { kind: 'Subnet', namespace: 'ns', name: `s${String(n)}`, uid: `sub-${String(n)}` },
    vpcUid: vpc.uid,
    cidrBlock: `10.0.${String(n)}.0/24`,
    gatewayIP: `10.0.${String(n)}.1`,
    dhcp: { enabled: true, leaseTimeSeconds: 3600 },
    dnsServers: ['10.0.0.2'],
  });
}

function nic(n: number, mac: string) {
  return desiredInterfacePort({
    owner: {
      kind: 'NetworkInterface',
      namespace: 'ns',
      name: `eni${String(n)}`,
      uid: `eni-${String(n)}`,
    },
    vpcUid: vpc.uid,
    ipAddress: `10.0.${String(n)}.10`,
    macAddress: mac,
    portSecurity: true,
  });
}

const s1 = subnet(1);
const s2 = subnet(2);
const nic1 = nic(1, '0a:00:00:00:01:0a');
const nic2 = nic(2, '0a:00:00:00:02:0a');

let f: NbFixture;

beforeAll(async () => {
  f = await startNb('nb-switch');
});

afterAll(async () => {
  await f.close();
});

const lsp = (name: string) =>
  f.ovsdb.replica.table('Logical_Switch_Port').find((p) => p.name === name);
const ls = (name: string) => f.ovsdb.replica.table('Logical_Switch').find((s) => s.name === name);

/** The subnet's rows, as the operator would write them. */
async function buildSubnet(s: DesiredSubnet, iface: ReturnType<typeof nic>): Promise<string> {
  await f.nb.ensureRouter(router);
  await f.nb.ensureSwitch(s.logicalSwitch);
  await f.nb.ensureRouterPort(router.name, s.routerPort);
  await f.nb.ensureSwitchPort(s.logicalSwitch.name, s.switchRouterPort);
  const dhcp = s.dhcp ? await f.nb.ensureDhcpOptions(s.dhcp) : undefined;
  return f.nb.ensureSwitchPort(s.logicalSwitch.name, iface, { dhcpv4Options: dhcp });
}

/** The lines `ovn-nbctl show` prints under one port, without their indentation. */
function portLines(show: string, port: string): string[] {
  const lines = show.split('\n');
  const start = lines.findIndex((l) => l.trim() === `port ${port}`);
  if (start < 0) return [];
  const indent = (lines[start] ?? '').search(/\S/);
  const end = lines.findIndex((l, i) => i > start && l.search(/\S/) <= indent);
  return lines.slice(start + 1, end < 0 ? undefined : end).map((l) => l.trim());
}

describe('a VPC with two subnets and an interface in each', () => {
  it('shows in ovn-nbctl as a router with two ports and two switches with their ports', async () => {
    await buildSubnet(s1, nic1);
    await buildSubnet(s2, nic2);
    const show = await f.server.nbctl('show');
    const routerPart = show.slice(show.indexOf(`router `));
    expect(routerPart).toContain(`(${router.name})`);
    // OVN 25.03 also prints the port's IPv6 link-local address, which it derives from the MAC.
    expect(portLines(routerPart, s1.routerPort.name)).toEqual(
      expect.arrayContaining([`mac: "${s1.routerPort.mac}"`, 'networks: ["10.0.1.1/24"]']),
    );
    expect(portLines(routerPart, s2.routerPort.name)).toEqual(
      expect.arrayContaining([`mac: "${s2.routerPort.mac}"`, 'networks: ["10.0.2.1/24"]']),
    );
    for (const [s, iface, ip] of [
      [s1, nic1, '10.0.1.10'],
      [s2, nic2, '10.0.2.10'],
    ] as const) {
      const sw = await f.server.nbctl('show', s.logicalSwitch.name);
      expect(sw).toContain(
        `port ${s.switchRouterPort.name}\n        type: router\n        router-port: ${s.routerPort.name}`,
      );
      expect(sw).toContain(
        `port ${iface.name}\n        addresses: ["${iface.addresses?.[0] ?? ''}"]`,
      );
      expect(sw).toContain(ip);
    }
    expect(await f.server.nbctl('--bare', '--columns=name', 'list', 'Logical_Router')).toBe(
      router.name,
    );
    expect(
      (await f.server.nbctl('--bare', '--columns=name', 'list', 'Logical_Switch'))
        .split(/\n+/)
        .sort(),
    ).toEqual([s1.logicalSwitch.name, s2.logicalSwitch.name].sort());
  });

  it('writes nothing when everything is already as desired', async () => {
    const before = f.transactions();
    await buildSubnet(s1, nic1);
    await buildSubnet(s2, nic2);
    expect(f.transactions()).toBe(before);
  });
});

describe('ensureSwitch', () => {
  it('puts back external_ids changed out of band', async () => {
    await f.server.nbctl(
      'remove',
      'Logical_Switch',
      s1.logicalSwitch.name,
      'external_ids',
      'kcloud.io/cidr',
    );
    await f.replicaShows(
      'the cidr gone',
      () => ls(s1.logicalSwitch.name)?.external_ids['kcloud.io/cidr'] === undefined,
    );
    const before = f.transactions();
    await f.nb.ensureSwitch(s1.logicalSwitch);
    expect(f.transactions()).toBe(before + 1);
    expect(
      await f.server.nbctl(
        'get',
        'Logical_Switch',
        s1.logicalSwitch.name,
        'external_ids:kcloud.io/cidr',
      ),
    ).toBe('"10.0.1.0/24"');
  });
});

describe('ensureSwitchPort', () => {
  it('sets the DHCPv4 options of the port', async () => {
    const dhcp = await f.server.nbctl(
      '--bare',
      '--columns=_uuid',
      'find',
      'DHCP_Options',
      'external_ids:kcloud.io/uid=sub-1',
    );
    expect(
      await f.server.nbctl(
        '--bare',
        '--columns=dhcpv4_options',
        'list',
        'Logical_Switch_Port',
        nic1.name,
      ),
    ).toBe(dhcp);
    expect(lsp(nic1.name)?.dhcpv4_options).toBe(dhcp);
  });

  it('puts back addresses and port security changed out of band', async () => {
    await f.server.nbctl(
      'lsp-set-addresses',
      nic1.name,
      'dynamic',
      '--',
      'lsp-set-port-security',
      nic1.name,
    );
    await f.replicaShows('the changed addresses', () => lsp(nic1.name)?.addresses[0] === 'dynamic');
    const dhcp = lsp(nic1.name)?.dhcpv4_options;
    const before = f.transactions();
    await f.nb.ensureSwitchPort(s1.logicalSwitch.name, nic1, { dhcpv4Options: dhcp });
    expect(f.transactions()).toBe(before + 1);
    expect(await f.server.nbctl('lsp-get-addresses', nic1.name)).toBe(
      '0a:00:00:00:01:0a 10.0.1.10',
    );
    expect(await f.server.nbctl('lsp-get-port-security', nic1.name)).toBe(
      '0a:00:00:00:01:0a 10.0.1.10',
    );
  });

  it('re-creates a port removed from its switch out of band', async () => {
    const old = lsp(nic1.name)?._uuid ?? '';
    await f.server.nbctl('remove', 'Logical_Switch', s1.logicalSwitch.name, 'ports', old);
    await f.replicaShows('the port gone', () => lsp(nic1.name) === undefined);
    const uuid = await f.nb.ensureSwitchPort(s1.logicalSwitch.name, nic1);
    expect(uuid).not.toBe(old);
    expect(ls(s1.logicalSwitch.name)?.ports).toContain(uuid);
    expect(await f.server.nbctl('lsp-get-ls', nic1.name)).toContain(`(${s1.logicalSwitch.name})`);
    // Without options given, the port has none.
    expect(lsp(nic1.name)?.dhcpv4_options).toBeUndefined();
  });

  it('refuses a switch that does not exist, writing nothing', async () => {
    const before = f.transactions();
    await expect(f.nb.ensureSwitchPort('no-such-switch', nic1)).rejects.toThrow(
      'logical switch no-such-switch does not exist',
    );
    expect(f.transactions()).toBe(before);
  });
});

describe('ensureDhcpOptions', () => {
  it('finds the row by its owner uid and puts back options changed out of band', async () => {
    const dhcp = s2.dhcp;
    if (!dhcp) throw new Error('subnet 2 has DHCP');
    const uuid = await f.server.nbctl(
      '--bare',
      '--columns=_uuid',
      'find',
      'DHCP_Options',
      'external_ids:kcloud.io/uid=sub-2',
    );
    await f.server.nbctl('dhcp-options-set-options', uuid, 'lease_time=1');
    await f.replicaShows(
      'the changed options',
      () => f.ovsdb.replica.table('DHCP_Options').get(uuid)?.options.lease_time === '1',
    );
    const before = f.transactions();
    expect(await f.nb.ensureDhcpOptions(dhcp)).toBe(uuid);
    expect(f.transactions()).toBe(before + 1);
    expect(await f.server.nbctl('dhcp-options-get-options', uuid)).toContain('lease_time=3600');
    expect(f.ovsdb.replica.table('DHCP_Options').size).toBe(2);
  });

  it('deletes the row of one owner only, and nothing when it is gone', async () => {
    expect(await f.nb.deleteDhcpOptions('sub-2')).toBe(true);
    expect(await f.server.nbctl('--bare', '--columns=cidr', 'list', 'DHCP_Options')).toBe(
      '10.0.1.0/24',
    );
    expect(lsp(nic2.name)?.dhcpv4_options).toBeUndefined();
    const before = f.transactions();
    expect(await f.nb.deleteDhcpOptions('sub-2')).toBe(false);
    expect(f.transactions()).toBe(before);
  });
});

describe('deletes', () => {
  it('deleteSwitchPort removes that port only', async () => {
    expect(await f.nb.deleteSwitchPort(s2.logicalSwitch.name, nic2.name)).toBe(true);
    expect(lsp(nic2.name)).toBeUndefined();
    expect(
      await f.server.nbctl(
        '--bare',
        '--columns=name',
        'list',
        'Logical_Switch_Port',
        s2.switchRouterPort.name,
      ),
    ).toBe(s2.switchRouterPort.name);
    const before = f.transactions();
    expect(await f.nb.deleteSwitchPort(s2.logicalSwitch.name, nic2.name)).toBe(false);
    expect(f.transactions()).toBe(before);
  });

  it('deleteSwitch removes the switch, its ports and its router port, and leaves the other subnet', async () => {
    expect(await f.nb.deleteSwitch(s1.logicalSwitch.name)).toBe(true);
    expect(ls(s1.logicalSwitch.name)).toBeUndefined();
    expect(lsp(nic1.name)).toBeUndefined();
    expect(lsp(s1.switchRouterPort.name)).toBeUndefined();
    expect(await f.server.nbctl('--bare', '--columns=name', 'list', 'Logical_Router_Port')).toBe(
      s2.routerPort.name,
    );
    expect(await f.server.nbctl('--bare', '--columns=name', 'list', 'Logical_Switch')).toBe(
      s2.logicalSwitch.name,
    );
    expect(await f.server.nbctl('--bare', '--columns=name', 'list', 'Logical_Switch_Port')).toBe(
      s2.switchRouterPort.name,
    );
    const show = await f.server.nbctl('show', router.name);
    expect(show).not.toContain(s1.routerPort.name);
    expect(show).toContain(s2.routerPort.name);
    const before = f.transactions();
    expect(await f.nb.deleteSwitch(s1.logicalSwitch.name)).toBe(false);
    expect(f.transactions()).toBe(before);
  });
});
