import path from 'node:path';
import type { OvnLayout } from './layout.ts';
import type { Tool, ToolResolver } from './tools.ts';

export type ComponentName =
  'ovsdb-nb' | 'ovsdb-sb' | 'ovn-northd' | 'ovsdb-vswitch' | 'ovs-vswitchd' | 'ovn-controller';

/** The loopback TCP ports of the northbound and southbound databases. */
export interface Ports {
  nb: number;
  sb: number;
}

export interface OvnOptions {
  /** Also run Open vSwitch (userspace datapath) and ovn-controller as one chassis. */
  dataPlane: boolean;
  /** The chassis name (Open_vSwitch external_ids:system-id). */
  chassis: string;
}

const controlPlane: ComponentName[] = ['ovsdb-nb', 'ovsdb-sb', 'ovn-northd'];
const dataPlane: ComponentName[] = ['ovsdb-vswitch', 'ovs-vswitchd', 'ovn-controller'];

/** Start order; stop in reverse. */
export function componentOrder(options: Pick<OvnOptions, 'dataPlane'>): ComponentName[] {
  return options.dataPlane ? [...controlPlane, ...dataPlane] : [...controlPlane];
}

/** What `up` does with each component, each list in start order. */
export interface UpPlan {
  /** Running and wanted: left alone, so what hangs off it (ports in br-int, clients) stays. */
  keep: ComponentName[];
  /** Running but no longer wanted, or wanted otherwise: stopped (in reverse order) first. */
  stop: ComponentName[];
  /** Wanted and not running. */
  start: ComponentName[];
}

/**
 * Brings up only what is down. Every OVN daemon reconnects to a database that comes back on
 * the same socket, so one restarted component never needs its neighbours restarted; a
 * restarted ovs-vswitchd in particular would take every plugged port's device with its
 * network namespace. Only a changed option stops what it concerns: the data plane switched
 * off stops its three components; another chassis name restarts ovn-controller alone, which
 * reads the name from the Open vSwitch database when it starts.
 */
export function planUp(
  running: OvnOptions | undefined,
  wanted: OvnOptions,
  alive: Partial<Record<ComponentName, boolean>>,
): UpPlan {
  const order = componentOrder({ dataPlane: true });
  const want = new Set(componentOrder(wanted));
  const renamed = running !== undefined && running.chassis !== wanted.chassis;
  const stop = order.filter(
    (n) => alive[n] === true && (!want.has(n) || (renamed && n === 'ovn-controller')),
  );
  const keep = order.filter((n) => alive[n] === true && want.has(n) && !stop.includes(n));
  const start = order.filter((n) => want.has(n) && !keep.includes(n));
  return { keep, stop, start };
}

export interface ComponentSpec {
  name: ComponentName;
  /** What is executed. */
  command: string;
  args: string[];
  /** The program the PID runs once started; differs from `command` when a wrapper execs it. */
  binary: string;
  /** What its command line starts with after `binary`: the program, when that is a loader. */
  leading: readonly string[];
  /** The daemon's own log (--log-file). */
  logFile: string;
  /** Its stdout and stderr: only what it prints before its log is open, such as bad options. */
  consoleFile: string;
}

/** Only characters that need no quoting in an OVSDB value, so the name goes into commands as is. */
const chassisName = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function validChassisName(name: string): boolean {
  return chassisName.test(name);
}

export function requireValidChassisName(name: string): void {
  if (!validChassisName(name)) {
    throw new Error(
      `chassis name ${JSON.stringify(name)} is not usable: give one of letters, digits, '.', '_' and '-'`,
    );
  }
}

export function componentSpec(
  name: ComponentName,
  layout: OvnLayout,
  ports: Ports,
  tool: ToolResolver,
): ComponentSpec {
  const logs = (base: string) => ({
    logFile: path.join(layout.logDir, `${base}.log`),
    consoleFile: path.join(layout.logDir, `${base}.console.log`),
  });
  // The log file carries everything; console output would only duplicate it.
  const logging = (base: string) => [`--log-file=${logs(base).logFile}`, '-vconsole:off'];
  const ovsdb = (files: OvnLayout['nb'], port: number | undefined): string[] => [
    files.db,
    `--remote=punix:${files.socket}`,
    ...(port === undefined ? [] : [`--remote=ptcp:${String(port)}:127.0.0.1`]),
    `--pidfile=${files.pidfile}`,
    `--unixctl=${files.ctl}`,
  ];
  const daemon = (n: ComponentName, program: Tool, args: string[]): ComponentSpec => ({
    name: n,
    command: program.file,
    args: [...program.args, ...args, ...logging(n)],
    binary: program.file,
    leading: program.args,
    ...logs(n),
  });

  switch (name) {
    case 'ovsdb-nb':
      return daemon(name, tool('ovsdb-server'), ovsdb(layout.nb, ports.nb));
    case 'ovsdb-sb':
      return daemon(name, tool('ovsdb-server'), ovsdb(layout.sb, ports.sb));
    case 'ovn-northd':
      return daemon(name, tool('ovn-northd'), [
        `--ovnnb-db=unix:${layout.nb.socket}`,
        `--ovnsb-db=unix:${layout.sb.socket}`,
        `--pidfile=${layout.northdPidfile}`,
        `--unixctl=${layout.northdCtl}`,
      ]);
    case 'ovsdb-vswitch':
      // Only ovs-vsctl, ovs-vswitchd and ovn-controller of this instance talk to it.
      return daemon(name, tool('ovsdb-server'), ovsdb(layout.vswitch, undefined));
    case 'ovs-vswitchd': {
      const vswitchd = tool('ovs-vswitchd');
      const spec = daemon(name, vswitchd, [
        `unix:${layout.vswitch.socket}`,
        // Userspace datapath only. Without this flag ovs-vswitchd still runs here (netdev
        // bridges work; the kernel datapath just fails to open because the openvswitch
        // module is absent); with it, the kernel datapath type is never registered, so this
        // instance can neither need that module nor touch kernel datapaths another Open
        // vSwitch owns.
        '--disable-system',
        `--pidfile=${layout.vswitchdPidfile}`,
        `--unixctl=${layout.vswitchdCtl}`,
      ]);
      // With the netdev datapath, br-int and every internal port are tap devices that
      // ovs-vswitchd creates, persistent, in its network namespace. In the machine's namespace
      // they would collide with another instance's br-int (a dev and a test instance side by
      // side) and outlive a killed ovs-vswitchd. In a namespace of its own, created by
      // `unshare` and held only by this process, the names are private and the kernel deletes
      // every device when the process exits, however it exits.
      const unshare = tool('unshare');
      return {
        ...spec,
        command: unshare.file,
        args: [...unshare.args, '--net', vswitchd.file, ...spec.args],
      };
    }
    case 'ovn-controller':
      // No --unixctl in 23.03: its control socket is OVN_RUNDIR/ovn-controller.<pid>.ctl.
      return daemon(name, tool('ovn-controller'), [
        `unix:${layout.vswitch.socket}`,
        `--pidfile=${layout.controllerPidfile}`,
      ]);
  }
}
