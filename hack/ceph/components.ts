import path from 'node:path';
import { daemonIds, type CephLayout } from './layout.ts';
import { cephTool, type CephTool } from './tools.ts';

export type ComponentName = 'ceph-mon' | 'ceph-mgr' | 'ceph-osd';

/** Start order; stop in reverse (the OSD first, so it can tell the monitor it is going). */
export const componentOrder: readonly ComponentName[] = ['ceph-mon', 'ceph-mgr', 'ceph-osd'];

export interface ComponentSpec {
  name: ComponentName;
  /** An absolute path: it is what the recorded PID must still run to be signalled. */
  command: string;
  args: string[];
  /** The daemon's own log (`log file` in ceph.conf). */
  logFile: string;
  /** Its stdout and stderr: only what it prints before its log is open, such as bad options. */
  consoleFile: string;
  /** The environment it starts with. */
  env: NodeJS.ProcessEnv;
}

const ids: Record<ComponentName, string> = {
  'ceph-mon': daemonIds.mon,
  'ceph-mgr': daemonIds.mgr,
  'ceph-osd': String(daemonIds.osd),
};

/** `mon.a`, `mgr.x`, `osd.0`: the daemon's name in Ceph. */
export function daemonName(name: ComponentName): string {
  return `${name.replace('ceph-', '')}.${ids[name]}`;
}

/** Where the daemon answers `ceph daemon` commands (`run dir` in ceph.conf). */
export function adminSocket(layout: CephLayout, name: ComponentName): string {
  return path.join(layout.socketDir, `ceph-${daemonName(name)}.asok`);
}

/**
 * The daemon in the foreground (`-f`), so the PID started is the daemon's own and stays its
 * own; it still logs to its log file, and runs as the user who started it.
 */
export function componentSpec(
  name: ComponentName,
  layout: CephLayout,
  tool: (name: CephTool) => string = cephTool,
  env: NodeJS.ProcessEnv = process.env,
): ComponentSpec {
  const daemon = daemonName(name);
  return {
    name,
    command: tool(name),
    args: ['--conf', layout.conf, '--id', ids[name], '--foreground'],
    logFile: path.join(layout.logDir, `${daemon}.log`),
    consoleFile: path.join(layout.logDir, `${daemon}.console.log`),
    env: daemonEnv(env),
  };
}

/**
 * The caller's environment without Ceph's own variables. A daemon reads them as a client does:
 * started from a shell that ran `eval "$(hack/ceph.sh env)"`, an OSD would present the admin
 * keyring (CEPH_KEYRING) as osd.0 and the monitor would refuse it. ceph.conf says everything a
 * daemon needs.
 */
export function daemonEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith('CEPH_')));
}
