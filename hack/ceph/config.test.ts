import { describe, expect, it } from '@jest/globals';
import {
  mgrModules,
  monAddrVec,
  osdBlockBytes,
  osdMemoryTargetBytes,
  renderConfig,
} from './config.ts';
import { cephLayout } from './layout.ts';

/** The settings of one section, as ceph.conf has them. */
function section(conf: string, name: string): Record<string, string> {
  const lines = conf.split('\n');
  const start = lines.indexOf(`[${name}]`);
  if (start < 0) throw new Error(`no [${name}] in\n${conf}`);
  const out: Record<string, string> = {};
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('[')) break;
    const m = /^([^=]+?) = (.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

describe('ceph.conf for a single-host cluster', () => {
  const layout = cephLayout('/runs/ceph-1');
  const conf = renderConfig(layout, 'f5b3c0de-0000-4000-8000-000000000001', {
    v2: 41001,
    v1: 41002,
  });
  const global = section(conf, 'global');

  it('names the monitor on loopback on the ports it was given, messenger v2 and v1', () => {
    expect(monAddrVec({ v2: 41001, v1: 41002 })).toBe('[v2:127.0.0.1:41001,v1:127.0.0.1:41002]');
    expect(global['mon host']).toBe('[v2:127.0.0.1:41001,v1:127.0.0.1:41002]');
    expect(global.fsid).toBe('f5b3c0de-0000-4000-8000-000000000001');
    expect(conf).not.toMatch(/6789|3300/);
  });

  it('binds every daemon to 127.0.0.1 only', () => {
    expect(global['public addr']).toBe('127.0.0.1');
    expect(global['cluster addr']).toBe('127.0.0.1');
    expect(global['public network']).toBe('127.0.0.1/32');
    expect(global['cluster network']).toBe('127.0.0.1/32');
  });

  it('keeps cephx on everywhere', () => {
    for (const k of ['auth cluster required', 'auth service required', 'auth client required']) {
      expect(global[k]).toBe('cephx');
    }
    expect(global['auth allow insecure global id reclaim']).toBe('false');
  });

  it('lets one OSD hold pools of one replica without a warning', () => {
    expect(global['osd pool default size']).toBe('1');
    expect(global['osd pool default min size']).toBe('1');
    expect(global['mon allow pool size one']).toBe('true');
    expect(global['mon warn on pool no redundancy']).toBe('false');
    expect(global['osd crush chooseleaf type']).toBe('0');
    expect(Number(global['mon data avail warn'])).toBeLessThanOrEqual(5);
  });

  it('puts every path under the run folder, none under /var or /etc', () => {
    const paths = [...conf.matchAll(/^[^=#]+ = (\/.*)$/gm)].map((m) => m[1] ?? '');
    expect(paths.length).toBeGreaterThan(10);
    for (const p of paths) expect(p.startsWith('/runs/ceph-1/')).toBe(true);
    expect(section(conf, 'mon.a')['mon data']).toBe('/runs/ceph-1/data/mon-a');
    expect(section(conf, 'mgr.x')['mgr data']).toBe('/runs/ceph-1/data/mgr-x');
    expect(section(conf, 'osd.0')['osd data']).toBe('/runs/ceph-1/data/osd-0');
    expect(section(conf, 'client.admin').keyring).toBe('/runs/ceph-1/ceph.client.admin.keyring');
    expect(global['run dir']).toBe('/runs/ceph-1/run');
  });

  it('gives the OSD BlueStore on a sparse file it creates, with a low memory target', () => {
    const osd = section(conf, 'osd');
    expect(osd['osd objectstore']).toBe('bluestore');
    expect(osd['bluestore block create']).toBe('true');
    expect(Number(osd['bluestore block size'])).toBe(osdBlockBytes);
    expect(osdBlockBytes).toBe(20 * 2 ** 30);
    expect(Number(osd['osd memory target'])).toBe(osdMemoryTargetBytes);
    expect(osdMemoryTargetBytes).toBeLessThan(4 * 2 ** 30);
  });

  it('loads only the manager modules it needs, from a folder of links in the run folder', () => {
    expect(section(conf, 'mgr')['mgr module path']).toBe('/runs/ceph-1/mgr-modules');
    expect(mgrModules).toEqual(expect.arrayContaining(['rbd_support', 'mgr_module.py']));
    expect(mgrModules).not.toContain('prometheus');
  });

  it('logs each daemon into the run folder, not clients', () => {
    expect(section(conf, 'mon')['log file']).toBe('/runs/ceph-1/logs/mon.$id.log');
    expect(section(conf, 'osd')['log file']).toBe('/runs/ceph-1/logs/osd.$id.log');
    expect(global['log file']).toBeUndefined();
  });
});
