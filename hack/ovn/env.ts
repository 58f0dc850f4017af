import type { OvnLayout } from './layout.ts';

/**
 * Variables that would point a tool at another instance or change how it talks to one:
 * a running ovn-nbctl/ovn-sbctl daemon, extra options, another timeout, an interconnect DB.
 */
const foreign = [
  'OVN_NB_DAEMON',
  'OVN_SB_DAEMON',
  'OVN_NBCTL_OPTIONS',
  'OVN_SBCTL_OPTIONS',
  'OVS_CTL_TIMEOUT',
  'OVN_IC_NB_DB',
  'OVN_IC_SB_DB',
];

/** The variables that tie every OVS and OVN program to this instance's run folder. */
export function instanceVars(layout: OvnLayout): Record<string, string> {
  return {
    OVS_RUNDIR: layout.ovsRunDir,
    OVS_LOGDIR: layout.logDir,
    OVS_DBDIR: layout.dbDir,
    OVS_SYSCONFDIR: layout.etcDir,
    OVN_RUNDIR: layout.ovnRunDir,
    OVN_LOGDIR: layout.logDir,
    OVN_DBDIR: layout.dbDir,
    OVN_SYSCONFDIR: layout.etcDir,
    // Defaults for any tool run without --db; every command started here passes --db as well.
    OVN_NB_DB: `unix:${layout.nb.socket}`,
    OVN_SB_DB: `unix:${layout.sb.socket}`,
  };
}

/**
 * The environment for every daemon and ctl command of this instance. Without these, the
 * programs fall back to the distribution's folders (/var/run/openvswitch, /var/run/ovn,
 * /etc/openvswitch) for defaults such as ovn-controller's control socket.
 */
export function ovsEnv(
  layout: OvnLayout,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const kept = Object.entries(base).filter(([key]) => !foreign.includes(key));
  return { ...Object.fromEntries(kept), ...instanceVars(layout) };
}
