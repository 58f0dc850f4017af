// Logical routers and their ports against a real northbound ovsdb-server: created once,
// repaired after changes made behind our back, deleted without touching other routers.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { desiredRouter, desiredSubnet } from '../../../operators/vpc/ovn/index.ts';
import { startNb, type NbFixture } from './nb-fixture.ts';

const vpcA = { kind: 'VPC', namespace: 'ns', name: 'a', uid: 'vpc-a' };
const vpcB = { kind: 'VPC', namespace: 'ns', name: 'b', uid: 'vpc-b' };
const subnet = { kind: 'Subnet', namespace: 'ns', name: 'web', uid: 'sub-web' };
const routerA = desiredRouter(vpcA);
const routerB = desiredRouter(vpcB);
const { routerPort } = desiredSubnet({
  owner: subnet,
  vpcUid: vpcA.uid,
  cidrBlock: '10.0.1.0/24',
  gatewayIP: '10.0.1.1',
  dhcp: { enabled: false, leaseTimeSeconds: 3600 },
  dnsServers: [],
});

let f: NbFixture;

beforeAll(async () => {
  f = await startNb('nb-router');
});

afterAll(async () => {
  await f.close();
});

function routers() {
  return f.ovsdb.replica.table('Logical_Router');
}

function lrp(name: string) {
  return f.ovsdb.replica.table('Logical_Router_Port').find((p) => p.name === name);
}

describe('ensureRouter', () => {
  it('creates the router in one transaction, then writes nothing while it is as desired', async () => {
    const before = f.transactions();
    const uuid = await f.nb.ensureRouter(routerA);
    expect(f.transactions()).toBe(before + 1);
    expect(routers().get(uuid)).toMatchObject(routerA);
    expect(
      await f.server.nbctl(
        '--bare',
        '--columns=_uuid',
        'find',
        'Logical_Router',
        `name=${routerA.name}`,
      ),
    ).toBe(uuid);
    expect(await f.nb.ensureRouter(routerA)).toBe(uuid);
    expect(f.transactions()).toBe(before + 1);
    expect(routers().size).toBe(1);
  });

  it('puts back external_ids changed out of band and leaves columns it does not manage', async () => {
    await f.server.nbctl(
      'set',
      'Logical_Router',
      routerA.name,
      'external_ids:kcloud.io/name=x',
      'options:always_learn_from_arp_request=false',
    );
    await f.replicaShows(
      'the changed external_ids',
      () => routers().find((r) => r.name === routerA.name)?.external_ids['kcloud.io/name'] === 'x',
    );
    const before = f.transactions();
    await f.nb.ensureRouter(routerA);
    expect(f.transactions()).toBe(before + 1);
    expect(
      await f.server.nbctl('get', 'Logical_Router', routerA.name, 'external_ids:kcloud.io/name'),
    ).toBe('a');
    expect(
      await f.server.nbctl(
        'get',
        'Logical_Router',
        routerA.name,
        'options:always_learn_from_arp_request',
      ),
    ).toBe('"false"');
  });
});

describe('ensureRouterPort', () => {
  it('inserts the port into the router ports in one transaction', async () => {
    await f.nb.ensureRouter(routerB);
    const before = f.transactions();
    const uuid = await f.nb.ensureRouterPort(routerA.name, routerPort);
    expect(f.transactions()).toBe(before + 1);
    expect(routers().find((r) => r.name === routerA.name)?.ports).toEqual([uuid]);
    expect(lrp(routerPort.name)).toMatchObject({ _uuid: uuid, ...routerPort });
    const show = await f.server.nbctl('show', routerA.name);
    expect(show).toContain(`port ${routerPort.name}`);
    expect(show).toContain(`mac: "${routerPort.mac}"`);
    expect(show).toContain('networks: ["10.0.1.1/24"]');
    expect(await f.nb.ensureRouterPort(routerA.name, routerPort)).toBe(uuid);
    expect(f.transactions()).toBe(before + 1);
  });

  it('puts back a mac and networks changed out of band', async () => {
    await f.server.nbctl(
      'set',
      'Logical_Router_Port',
      routerPort.name,
      'mac="0a:00:00:00:00:99"',
      'networks="10.9.9.1/24"',
    );
    await f.replicaShows(
      'the changed mac',
      () => lrp(routerPort.name)?.mac === '0a:00:00:00:00:99',
    );
    const uuid = lrp(routerPort.name)?._uuid;
    const before = f.transactions();
    expect(await f.nb.ensureRouterPort(routerA.name, routerPort)).toBe(uuid);
    expect(f.transactions()).toBe(before + 1);
    expect(
      await f.server.nbctl(
        '--bare',
        '--columns=mac,networks',
        'list',
        'Logical_Router_Port',
        routerPort.name,
      ),
    ).toBe(`${routerPort.mac}\n10.0.1.1/24`);
  });

  it('re-creates a port removed from the router out of band', async () => {
    const old = lrp(routerPort.name)?._uuid ?? '';
    await f.server.nbctl('remove', 'Logical_Router', routerA.name, 'ports', old);
    await f.replicaShows('the port gone', () => lrp(routerPort.name) === undefined);
    const uuid = await f.nb.ensureRouterPort(routerA.name, routerPort);
    expect(uuid).not.toBe(old);
    expect(routers().find((r) => r.name === routerA.name)?.ports).toEqual([uuid]);
    expect(await f.server.nbctl('show', routerA.name)).toContain(`port ${routerPort.name}`);
  });

  it('takes back a port moved to another router', async () => {
    const uuid = lrp(routerPort.name)?._uuid ?? '';
    await f.server.nbctl(
      'add',
      'Logical_Router',
      routerB.name,
      'ports',
      uuid,
      '--',
      'remove',
      'Logical_Router',
      routerA.name,
      'ports',
      uuid,
    );
    await f.replicaShows(
      'the port in router b',
      () =>
        routers()
          .find((r) => r.name === routerB.name)
          ?.ports.includes(uuid) === true,
    );
    const before = f.transactions();
    expect(await f.nb.ensureRouterPort(routerA.name, routerPort)).toBe(uuid);
    expect(f.transactions()).toBe(before + 1);
    expect(routers().find((r) => r.name === routerA.name)?.ports).toEqual([uuid]);
    expect(routers().find((r) => r.name === routerB.name)?.ports).toEqual([]);
    expect(
      await f.server.nbctl('--bare', '--columns=ports', 'list', 'Logical_Router', routerB.name),
    ).toBe('');
  });

  it('refuses a router that does not exist, writing nothing', async () => {
    const before = f.transactions();
    await expect(f.nb.ensureRouterPort('no-such-router', routerPort)).rejects.toThrow(
      'logical router no-such-router does not exist',
    );
    expect(f.transactions()).toBe(before);
  });
});

describe('deleteRouter', () => {
  it('deletes the router with its ports and leaves the other router alone', async () => {
    const other = await f.nb.ensureRouterPort(routerB.name, {
      ...routerPort,
      name: 'b-port',
      mac: '0a:00:00:00:00:0b',
    });
    expect(await f.nb.deleteRouter(routerA.name)).toBe(true);
    expect(routers().find((r) => r.name === routerA.name)).toBeUndefined();
    expect(lrp(routerPort.name)).toBeUndefined();
    expect(await f.server.nbctl('--bare', '--columns=name', 'list', 'Logical_Router_Port')).toBe(
      'b-port',
    );
    expect(await f.server.nbctl('--bare', '--columns=name', 'list', 'Logical_Router')).toBe(
      routerB.name,
    );
    expect(routers().find((r) => r.name === routerB.name)?.ports).toEqual([other]);
  });

  it('writes nothing when the router does not exist', async () => {
    const before = f.transactions();
    expect(await f.nb.deleteRouter(routerA.name)).toBe(false);
    expect(await f.nb.deleteRouterPort(routerA.name, routerPort.name)).toBe(false);
    expect(f.transactions()).toBe(before);
  });

  it('deletes a single router port by name', async () => {
    expect(await f.nb.deleteRouterPort(routerB.name, 'b-port')).toBe(true);
    expect(lrp('b-port')).toBeUndefined();
    expect(await f.server.nbctl('--bare', '--columns=name', 'list', 'Logical_Router_Port')).toBe(
      '',
    );
  });
});
