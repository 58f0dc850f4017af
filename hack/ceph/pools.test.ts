import { describe, expect, it } from '@jest/globals';
import { cephArgs, clientArgs, keyringFor } from './client.ts';
import { checkCephName, createPoolCommands, rbdUserCaps, userKeyringPath } from './pools.ts';

const admin = { conf: '/r/ceph.conf', keyring: '/r/ceph.client.admin.keyring', id: 'admin' };

describe('ceph and rbd command lines', () => {
  it('bind every command to one cluster and user, with a bounded wait for the monitor', () => {
    expect(clientArgs(admin)).toEqual([
      '--conf', '/r/ceph.conf',
      '--keyring', '/r/ceph.client.admin.keyring',
      '--id', 'admin',
    ]); // prettier-ignore
    expect(cephArgs(admin, ['health'], 5)).toEqual([
      ...clientArgs(admin),
      '--connect-timeout',
      '5',
      'health',
    ]);
  });

  it('make an RBD pool with `rbd pool init`, other applications with `application enable`', () => {
    expect(createPoolCommands('vols', { application: 'rbd' })).toEqual([
      { tool: 'ceph', args: ['osd', 'pool', 'create', 'vols', '8', '8'] },
      { tool: 'rbd', args: ['pool', 'init', 'vols'] },
    ]);
    expect(createPoolCommands('logs', { application: 'rgw' })).toEqual([
      { tool: 'ceph', args: ['osd', 'pool', 'create', 'logs', '8', '8'] },
      { tool: 'ceph', args: ['osd', 'pool', 'application', 'enable', 'logs', 'rgw'] },
    ]);
    expect(createPoolCommands('plain')).toHaveLength(1);
  });

  it('confine a user to RBD in one pool', () => {
    expect(rbdUserCaps('vols')).toEqual(['mon', 'profile rbd', 'osd', 'profile rbd pool=vols']);
  });

  it('refuse names that would change a cap string or a QEMU rbd: file name', () => {
    for (const bad of [
      '',
      'a b',
      'a,b',
      'vols allow *',
      'p=q',
      'a:b',
      'a/b',
      '-x',
      'x'.repeat(64),
    ]) {
      expect(() => {
        checkCephName('pool', bad);
      }).toThrow(/not usable/);
      expect(() => rbdUserCaps(bad)).toThrow(/not usable/);
      expect(() => createPoolCommands(bad)).toThrow(/not usable/);
    }
    expect(() => createPoolCommands('ok', { application: 'rbd x' })).toThrow(/not usable/);
    checkCephName('user', 'evs-agent_1.a');
  });

  it("write a user's keyring beside the admin's, in keyrings/", () => {
    expect(userKeyringPath(admin, 'u1')).toBe('/r/keyrings/ceph.client.u1.keyring');
    expect(userKeyringPath(admin, 'u1', '/k')).toBe('/k/ceph.client.u1.keyring');
    expect(keyringFor('client.u1', 'AQB=')).toBe('[client.u1]\n\tkey = AQB=\n');
  });
});
