// Port groups and their ACLs against a real northbound ovsdb-server: SecurityGroup rules
// become ACL rows, kept exactly in line with the rules, and rows are found by their owner.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { SecurityGroupRule } from '../../../operators/vpc/api/index.ts';
import {
  desiredInterfacePort,
  names,
  ownerIds,
  securityGroupACLs,
} from '../../../operators/vpc/ovn/index.ts';
import { ownedBy, ownedByKind } from '../../../operators/vpc/ovn/nb/index.ts';
import { startNb, type NbFixture } from './nb-fixture.ts';

const web = { kind: 'SecurityGroup', namespace: 'ns', name: 'web', uid: 'sg-web' };
const db = { kind: 'SecurityGroup', namespace: 'ns', name: 'db', uid: 'sg-db' };
const webPg = names.portGroup(web.uid);
const dbPg = names.portGroup(db.uid);
const http: SecurityGroupRule = {
  name: 'http',
  direction: 'Ingress',
  protocol: 'TCP',
  ports: { from: 80, to: 80 },
  remoteCIDR: '0.0.0.0/0',
};
const noResolve = () => undefined;

let f: NbFixture;
const ports: string[] = [];

beforeAll(async () => {
  f = await startNb('nb-pg');
  await f.nb.ensureSwitch({ name: 'sw', external_ids: {} });
  for (const n of [1, 2, 3]) {
    ports.push(
      await f.nb.ensureSwitchPort(
        'sw',
        desiredInterfacePort({
          owner: {
            kind: 'NetworkInterface',
            namespace: 'ns',
            name: `e${String(n)}`,
            uid: `eni-${String(n)}`,
          },
          vpcUid: 'vpc-1',
          ipAddress: `10.0.0.${String(n)}`,
          macAddress: `0a:00:00:00:00:0${String(n)}`,
          portSecurity: true,
        }),
      ),
    );
  }
});

afterAll(async () => {
  await f.close();
});

const pg = (name: string) => f.ovsdb.replica.table('Port_Group').find((g) => g.name === name);
const aclRows = () => f.ovsdb.replica.table('ACL').rows();

describe('ensurePortGroup', () => {
  it('creates the group with exactly the given ports, then writes nothing', async () => {
    const before = f.transactions();
    const uuid = await f.nb.ensurePortGroup(webPg, ownerIds(web), [ports[0] ?? '', ports[1] ?? '']);
    expect(f.transactions()).toBe(before + 1);
    expect(pg(webPg)).toMatchObject({ _uuid: uuid, external_ids: ownerIds(web) });
    expect([...(pg(webPg)?.ports ?? [])].sort()).toEqual([ports[0], ports[1]].sort());
    await f.nb.ensurePortGroup(webPg, ownerIds(web), [ports[1] ?? '', ports[0] ?? '']);
    expect(f.transactions()).toBe(before + 1);
  });

  it('puts back ports changed out of band', async () => {
    await f.server.nbctl(
      'remove',
      'Port_Group',
      webPg,
      'ports',
      ports[0] ?? '',
      '--',
      'add',
      'Port_Group',
      webPg,
      'ports',
      ports[2] ?? '',
    );
    await f.replicaShows(
      'the changed ports',
      () => pg(webPg)?.ports.includes(ports[2] ?? '') === true,
    );
    await f.nb.ensurePortGroup(webPg, ownerIds(web), [ports[0] ?? '', ports[1] ?? '']);
    const listed = await f.server.nbctl('--bare', '--columns=ports', 'list', 'Port_Group', webPg);
    expect(listed.split(/\s+/).sort()).toEqual([ports[0], ports[1]].sort());
  });

  it('adds and removes members, writing nothing when they already are or are not members', async () => {
    const before = f.transactions();
    expect(await f.nb.addPortsToGroup(webPg, [ports[1] ?? ''])).toBe(false);
    expect(await f.nb.removePortsFromGroup(webPg, [ports[2] ?? ''])).toBe(false);
    expect(f.transactions()).toBe(before);
    expect(await f.nb.addPortsToGroup(webPg, [ports[2] ?? '', ports[1] ?? ''])).toBe(true);
    expect(pg(webPg)?.ports).toHaveLength(3);
    expect(await f.nb.removePortsFromGroup(webPg, [ports[0] ?? ''])).toBe(true);
    expect([...(pg(webPg)?.ports ?? [])].sort()).toEqual([ports[1], ports[2]].sort());
    expect(f.transactions()).toBe(before + 2);
  });
});

describe('ensurePortGroupACLs', () => {
  it('creates one ACL per rule plus the same-group one, then writes nothing', async () => {
    const acls = securityGroupACLs(web, [http], noResolve);
    expect(acls).toHaveLength(2);
    expect(await f.nb.ensurePortGroupACLs(webPg, acls)).toBe(true);
    const listed = await f.server.nbctl('acl-list', webPg);
    expect(listed).toContain(
      'to-lport  2200 (outport == @kcloud_sg_sg_web && ip4 && tcp.dst == 80) allow-related',
    );
    expect(listed).toContain(
      'to-lport  2001 (outport == @kcloud_sg_sg_web && ip4 && ip4.src == $kcloud_sg_sg_web_ip4) allow-related',
    );
    expect(
      f.nb
        .portGroupACLs(webPg)
        .map((a) => a.name)
        .sort(),
    ).toEqual(['http', 'same-group']);
    const before = f.transactions();
    expect(await f.nb.ensurePortGroupACLs(webPg, acls)).toBe(false);
    expect(f.transactions()).toBe(before);
  });

  it('updates a changed rule in place, and puts back a match changed out of band', async () => {
    const old = f.nb.portGroupACLs(webPg).find((a) => a.name === 'http');
    const https = { ...http, ports: { from: 443, to: 443 } };
    await f.nb.ensurePortGroupACLs(webPg, securityGroupACLs(web, [https], noResolve));
    const now = f.nb.portGroupACLs(webPg).find((a) => a.name === 'http');
    expect(now?._uuid).toBe(old?._uuid);
    expect(now?.match).toContain('tcp.dst == 443');
    await f.server.nbctl('set', 'ACL', now?._uuid ?? '', 'match="ip4"');
    await f.replicaShows(
      'the changed match',
      () => f.ovsdb.replica.table('ACL').get(now?._uuid ?? '')?.match === 'ip4',
    );
    expect(await f.nb.ensurePortGroupACLs(webPg, securityGroupACLs(web, [https], noResolve))).toBe(
      true,
    );
    expect(await f.server.nbctl('get', 'ACL', now?._uuid ?? '', 'match')).toBe(
      '"outport == @kcloud_sg_sg_web && ip4 && tcp.dst == 443"',
    );
  });

  it('removes an ACL added out of band and the ACL of a removed rule', async () => {
    await f.server.nbctl('--type=port-group', 'acl-add', webPg, 'to-lport', '100', 'ip4', 'drop');
    await f.replicaShows('the extra ACL', () => pg(webPg)?.acls.length === 3);
    expect(await f.nb.ensurePortGroupACLs(webPg, securityGroupACLs(web, [http], noResolve))).toBe(
      true,
    );
    expect(aclRows()).toHaveLength(2);
    const httpAcl = f.nb.portGroupACLs(webPg).find((a) => a.name === 'http')?._uuid ?? '';
    expect(await f.nb.ensurePortGroupACLs(webPg, securityGroupACLs(web, [], noResolve))).toBe(true);
    expect(f.ovsdb.replica.table('ACL').get(httpAcl)).toBeUndefined();
    expect(await f.server.nbctl('--bare', '--columns=name', 'list', 'ACL')).toBe('same-group');
    expect(await f.server.nbctl('acl-list', webPg)).not.toContain('tcp.dst');
  });

  it('refuses to add ACLs when the group’s set changed since it was read, rather than doubling them', async () => {
    const ssh = { ...http, name: 'ssh', ports: { from: 22, to: 22 } };
    const desired = securityGroupACLs(web, [http, ssh], noResolve);
    const sshRows = () => f.nb.portGroupACLs(webPg).filter((a) => a.name === 'ssh');
    // The same write committed first, late: what an earlier attempt whose reply was lost does
    // when a new leader commits it after the writer has decided again from the same view.
    const real = f.ovsdb.transact.bind(f.ovsdb);
    jest.spyOn(f.ovsdb, 'transact').mockImplementationOnce(async (ops) => {
      await real(ops);
      return real(ops);
    });
    await expect(f.nb.ensurePortGroupACLs(webPg, desired)).rejects.toThrow();
    await f.replicaShows('the ACL written first', () => sshRows().length > 0);
    expect(await f.server.nbctl('--bare', '--columns=name', 'find', 'ACL', 'name=ssh')).toBe('ssh');
    // Decided again from the view that has it: nothing more to write.
    expect(await f.nb.ensurePortGroupACLs(webPg, desired)).toBe(false);
    expect(sshRows()).toHaveLength(1);
    // As the test before left it.
    await f.nb.ensurePortGroupACLs(webPg, securityGroupACLs(web, [], noResolve));
  });

  it('refuses a port group that does not exist', async () => {
    await expect(f.nb.ensurePortGroupACLs('nope', [])).rejects.toThrow(
      'port group nope does not exist',
    );
  });
});

describe('deletePortGroup and ownedRows', () => {
  it('finds rows by owner uid and kind', async () => {
    await f.nb.ensurePortGroup(dbPg, ownerIds(db), [ports[2] ?? '']);
    await f.nb.ensurePortGroupACLs(dbPg, securityGroupACLs(db, [http], noResolve));
    expect(f.nb.ownedRows('Port_Group', ownedBy(db.uid)).map((g) => g.name)).toEqual([dbPg]);
    expect(
      f.nb
        .ownedRows('Port_Group', ownedByKind('SecurityGroup'))
        .map((g) => g.name)
        .sort(),
    ).toEqual([dbPg, webPg].sort());
    expect(
      f.nb
        .ownedRows('ACL', ownedBy(db.uid))
        .map((a) => a.name)
        .sort(),
    ).toEqual(['http', 'same-group']);
    expect(f.nb.ownedRows('Logical_Switch_Port', ownedByKind('NetworkInterface'))).toHaveLength(3);
  });

  it('deletes a group with its ACLs, leaving the other group and the ports', async () => {
    expect(await f.nb.deletePortGroup(dbPg)).toBe(true);
    expect(pg(dbPg)).toBeUndefined();
    expect(f.nb.ownedRows('ACL', ownedBy(db.uid))).toEqual([]);
    expect(await f.server.nbctl('--bare', '--columns=name', 'list', 'Port_Group')).toBe(webPg);
    expect(await f.server.nbctl('--bare', '--columns=name', 'list', 'ACL')).toBe('same-group');
    expect(f.ovsdb.replica.table('Logical_Switch_Port').size).toBe(3);
    const before = f.transactions();
    expect(await f.nb.deletePortGroup(dbPg)).toBe(false);
    expect(await f.nb.removePortsFromGroup(dbPg, ports)).toBe(false);
    expect(f.transactions()).toBe(before);
  });
});
