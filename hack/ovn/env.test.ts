import { describe, expect, it } from '@jest/globals';
import { instanceVars, ovsEnv } from './env.ts';
import { ovnLayout } from './layout.ts';

const layout = ovnLayout('/runs/ovn-1');

describe('the environment of OVS and OVN programs', () => {
  it('points every OVS_ and OVN_ folder into the run folder', () => {
    const env = ovsEnv(layout, { PATH: '/usr/bin' });
    const dirs = [
      'OVS_RUNDIR',
      'OVS_LOGDIR',
      'OVS_DBDIR',
      'OVS_SYSCONFDIR',
      'OVN_RUNDIR',
      'OVN_LOGDIR',
      'OVN_DBDIR',
      'OVN_SYSCONFDIR',
    ];
    for (const key of dirs) {
      const value = env[key] ?? '';
      expect(value === '/runs/ovn-1' || value.startsWith('/runs/ovn-1/')).toBe(true);
    }
    expect(env.OVS_RUNDIR).toBe(layout.ovsRunDir);
    expect(env.OVN_RUNDIR).toBe(layout.ovnRunDir);
    expect(env.OVS_DBDIR).toBe(layout.dbDir);
    expect(env.OVS_LOGDIR).toBe(layout.logDir);
    expect(env.OVS_SYSCONFDIR).toBe(layout.etcDir);
  });

  it('overrides folders inherited from the caller', () => {
    const env = ovsEnv(layout, {
      OVS_RUNDIR: '/var/run/openvswitch',
      OVN_RUNDIR: '/var/run/ovn',
      OVS_SYSCONFDIR: '/etc',
      OVN_NB_DB: 'unix:/var/run/ovn/ovnnb_db.sock',
    });
    expect(env.OVS_RUNDIR).toBe('/runs/ovn-1/ovs');
    expect(env.OVN_RUNDIR).toBe('/runs/ovn-1');
    expect(env.OVS_SYSCONFDIR).toBe('/runs/ovn-1/etc');
    expect(env.OVN_NB_DB).toBe('unix:/runs/ovn-1/ovnnb_db.sock');
    expect(env.OVN_SB_DB).toBe('unix:/runs/ovn-1/ovnsb_db.sock');
  });

  it('drops variables that would redirect a ctl tool elsewhere, and keeps the rest', () => {
    const env = ovsEnv(layout, {
      PATH: '/usr/bin',
      HOME: '/root',
      OVN_NB_DAEMON: '/var/run/ovn/ovn-nbctl.1.ctl',
      OVN_SB_DAEMON: '/var/run/ovn/ovn-sbctl.1.ctl',
      OVN_NBCTL_OPTIONS: '--db=tcp:10.0.0.1:6641',
      OVN_SBCTL_OPTIONS: '--db=tcp:10.0.0.1:6642',
      OVS_CTL_TIMEOUT: '0',
      OVN_IC_NB_DB: 'tcp:10.0.0.1:6645',
      OVN_IC_SB_DB: 'tcp:10.0.0.1:6646',
    });
    for (const key of [
      'OVN_NB_DAEMON',
      'OVN_SB_DAEMON',
      'OVN_NBCTL_OPTIONS',
      'OVN_SBCTL_OPTIONS',
      'OVS_CTL_TIMEOUT',
      'OVN_IC_NB_DB',
      'OVN_IC_SB_DB',
    ]) {
      expect(env).not.toHaveProperty(key);
    }
    expect(env.PATH).toBe('/usr/bin');
    expect(env.HOME).toBe('/root');
  });

  it('never names the distribution folders', () => {
    const values = Object.values(instanceVars(layout)).join(' ');
    expect(values).not.toMatch(/\/var\/run|\/run\/openvswitch|\/etc\/openvswitch|\/var\/log/);
  });
});
