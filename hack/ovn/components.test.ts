import { describe, expect, it } from '@jest/globals';
import {
  componentOrder,
  componentSpec,
  planUp,
  validChassisName,
  type ComponentName,
  type Ports,
} from './components.ts';
import { ovnLayout } from './layout.ts';
import type { ToolResolver } from './tools.ts';

const layout = ovnLayout('/runs/ovn-1');
const ports: Ports = { nb: 16641, sb: 16642 };
const tool: ToolResolver = (name) => ({
  file: ['ovsdb-server', 'ovs-vswitchd'].includes(name) ? `/usr/sbin/${name}` : `/usr/bin/${name}`,
  args: [],
});
const spec = (name: ComponentName) => componentSpec(name, layout, ports, tool);

/** `--key=value` flags; positional arguments under their index. */
function flags(name: ComponentName): Map<string, string[]> {
  const m = new Map<string, string[]>();
  spec(name).args.forEach((arg, i) => {
    const [k, ...v] = arg.startsWith('--') ? arg.split('=') : [String(i), arg];
    m.set(k ?? '', [...(m.get(k ?? '') ?? []), v.join('=')]);
  });
  return m;
}

const all = componentOrder({ dataPlane: true });

describe('OVN component command lines', () => {
  it('starts the databases, then northd, then the data plane', () => {
    expect(componentOrder({ dataPlane: false })).toEqual(['ovsdb-nb', 'ovsdb-sb', 'ovn-northd']);
    expect(all).toEqual([
      'ovsdb-nb',
      'ovsdb-sb',
      'ovn-northd',
      'ovsdb-vswitch',
      'ovs-vswitchd',
      'ovn-controller',
    ]);
  });

  it('serves each OVN database on its unix socket and on a loopback TCP port', () => {
    const nb = flags('ovsdb-nb');
    expect(spec('ovsdb-nb').args[0]).toBe('/runs/ovn-1/db/ovnnb_db.db');
    expect(nb.get('--remote')).toEqual(['punix:/runs/ovn-1/ovnnb_db.sock', 'ptcp:16641:127.0.0.1']);
    const sb = flags('ovsdb-sb');
    expect(spec('ovsdb-sb').args[0]).toBe('/runs/ovn-1/db/ovnsb_db.db');
    expect(sb.get('--remote')).toEqual(['punix:/runs/ovn-1/ovnsb_db.sock', 'ptcp:16642:127.0.0.1']);
    expect(spec('ovsdb-nb').binary).toBe('/usr/sbin/ovsdb-server');
  });

  it('keeps the Open vSwitch database off the network', () => {
    expect(flags('ovsdb-vswitch').get('--remote')).toEqual(['punix:/runs/ovn-1/ovs/db.sock']);
    expect(spec('ovsdb-vswitch').args[0]).toBe('/runs/ovn-1/db/conf.db');
  });

  it('connects northd to both databases over their sockets', () => {
    const northd = flags('ovn-northd');
    expect(northd.get('--ovnnb-db')).toEqual(['unix:/runs/ovn-1/ovnnb_db.sock']);
    expect(northd.get('--ovnsb-db')).toEqual(['unix:/runs/ovn-1/ovnsb_db.sock']);
    expect(northd.get('--unixctl')).toEqual(['/runs/ovn-1/ovn-northd.ctl']);
  });

  it('runs ovs-vswitchd on the userspace datapath in a network namespace of its own', () => {
    const s = spec('ovs-vswitchd');
    expect(s.command).toBe('/usr/bin/unshare');
    expect(s.args.slice(0, 3)).toEqual([
      '--net',
      '/usr/sbin/ovs-vswitchd',
      'unix:/runs/ovn-1/ovs/db.sock',
    ]);
    // The recorded binary is the daemon unshare execs, so `down` signals it by its PID.
    expect(s.binary).toBe('/usr/sbin/ovs-vswitchd');
    expect(s.args).toContain('--disable-system');
    expect(s.args).not.toContain('--detach');
  });

  it('points ovn-controller at the Open vSwitch database of this instance', () => {
    const s = spec('ovn-controller');
    expect(s.args[0]).toBe('unix:/runs/ovn-1/ovs/db.sock');
    expect(flags('ovn-controller').get('--pidfile')).toEqual(['/runs/ovn-1/ovn-controller.pid']);
  });

  it('gives every daemon explicit pidfile and log paths in the run folder, never detached', () => {
    for (const name of all) {
      const s = spec(name);
      const f = flags(name);
      expect(f.get('--pidfile')?.[0]).toMatch(/^\/runs\/ovn-1\/.+\.pid$/);
      expect(f.get('--log-file')).toEqual([`/runs/ovn-1/logs/${name}.log`]);
      expect(s.logFile).toBe(`/runs/ovn-1/logs/${name}.log`);
      expect(s.consoleFile).toBe(`/runs/ovn-1/logs/${name}.console.log`);
      expect(s.args).toContain('-vconsole:off');
      // Started and stopped by PID: a daemon that forks away would not be.
      expect(s.args.some((a) => a === '--detach' || a === '--monitor')).toBe(false);
      if (name !== 'ovn-controller') expect(f.get('--unixctl')?.[0]).toMatch(/^\/runs\/ovn-1\//);
      for (const arg of s.args) {
        const file = /(?:^|[=:])(\/[^:]+)$/.exec(arg)?.[1];
        if (file && !file.startsWith('/usr/')) expect(file.startsWith('/runs/ovn-1/')).toBe(true);
      }
    }
  });

  it('accepts chassis names that need no quoting in an OVSDB value', () => {
    expect(validChassisName('vm')).toBe(true);
    expect(validChassisName('kcloud-test.chassis_1')).toBe(true);
    expect(validChassisName('')).toBe(false);
    expect(validChassisName('-x')).toBe(false);
    expect(validChassisName('a b')).toBe(false);
    expect(validChassisName('a,b')).toBe(false);
    expect(validChassisName('a"b')).toBe(false);
  });
});

describe('what up brings up', () => {
  const options = { dataPlane: true, chassis: 'hv1' };
  const allAlive = Object.fromEntries(all.map((n) => [n, true]));

  it('after a northbound database crash, starts it alone and keeps the rest', () => {
    const plan = planUp(options, options, { ...allAlive, 'ovsdb-nb': false });
    expect(plan.start).toEqual(['ovsdb-nb']);
    expect(plan.stop).toEqual([]);
    expect(plan.keep).toEqual(all.filter((n) => n !== 'ovsdb-nb'));
  });

  it('switching the data plane on starts only the data plane', () => {
    const control = { 'ovsdb-nb': true, 'ovsdb-sb': true, 'ovn-northd': true };
    const plan = planUp({ ...options, dataPlane: false }, options, control);
    expect(plan.keep).toEqual(['ovsdb-nb', 'ovsdb-sb', 'ovn-northd']);
    expect(plan.start).toEqual(['ovsdb-vswitch', 'ovs-vswitchd', 'ovn-controller']);
  });

  it('switching the data plane off stops only the data plane', () => {
    const plan = planUp(options, { ...options, dataPlane: false }, allAlive);
    expect(plan.stop).toEqual(['ovsdb-vswitch', 'ovs-vswitchd', 'ovn-controller']);
    expect(plan.start).toEqual([]);
  });

  it('another chassis name restarts ovn-controller alone', () => {
    const plan = planUp(options, { ...options, chassis: 'hv2' }, allAlive);
    expect(plan.stop).toEqual(['ovn-controller']);
    expect(plan.start).toEqual(['ovn-controller']);
    expect(plan.keep).toContain('ovs-vswitchd');
  });

  it('starts everything the first time', () => {
    expect(planUp(undefined, options, {})).toEqual({ keep: [], stop: [], start: all });
  });
});
