import { describe, expect, it } from '@jest/globals';
import { componentOrder, componentSpec, daemonName } from './components.ts';
import { cephEnvVars } from './env.ts';
import { cephLayout } from './layout.ts';

const layout = cephLayout('/runs/ceph-1');
const tool = (name: string) => `/usr/bin/${name}`;

describe('the Ceph daemons', () => {
  it('start monitor, manager, OSD in that order', () => {
    expect(componentOrder).toEqual(['ceph-mon', 'ceph-mgr', 'ceph-osd']);
    expect(componentOrder.map(daemonName)).toEqual(['mon.a', 'mgr.x', 'osd.0']);
  });

  it("run in the foreground on the run folder's ceph.conf, so the PID started is the daemon", () => {
    expect(componentSpec('ceph-osd', layout, tool, { PATH: '/usr/bin' })).toEqual({
      name: 'ceph-osd',
      command: '/usr/bin/ceph-osd',
      args: ['--conf', '/runs/ceph-1/ceph.conf', '--id', '0', '--foreground'],
      logFile: '/runs/ceph-1/logs/osd.0.log',
      consoleFile: '/runs/ceph-1/logs/osd.0.console.log',
      env: { PATH: '/usr/bin' },
    });
    expect(componentSpec('ceph-mon', layout, tool).args).toContain('a');
  });

  it("start without the shell's Ceph client variables, which would give an OSD the admin keyring", () => {
    const shell = {
      PATH: '/usr/bin',
      HOME: '/root',
      ...cephEnvVars(layout, { v2: 1, v1: 2 }),
      CEPH_ARGS: '--id admin',
    };
    expect(componentSpec('ceph-osd', layout, tool, shell).env).toEqual({
      PATH: '/usr/bin',
      HOME: '/root',
      KCLOUD_CEPH_DIR: '/runs/ceph-1',
    });
  });

  it('are reached through CEPH_CONF, which `env` exports with the admin keyring', () => {
    expect(cephEnvVars(layout, { v2: 41001, v1: 41002 })).toEqual({
      CEPH_CONF: '/runs/ceph-1/ceph.conf',
      CEPH_KEYRING: '/runs/ceph-1/ceph.client.admin.keyring',
      CEPH_MON_HOST: '[v2:127.0.0.1:41001,v1:127.0.0.1:41002]',
      KCLOUD_CEPH_DIR: '/runs/ceph-1',
    });
  });
});
