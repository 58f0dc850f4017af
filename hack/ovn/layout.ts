import path from 'node:path';
import { repoRoot } from '../cluster/index.ts';

/**
 * Every file one OVN instance owns: databases, sockets, control sockets, pidfiles and logs all
 * live under its run folder, never in the distribution's /var/run/openvswitch, /var/run/ovn or
 * /etc/openvswitch.
 *
 * The run folder itself is OVN_RUNDIR, so `ovn-nbctl`, `ovn-sbctl` and `ovn-appctl` find this
 * instance by default once its environment is exported (`hack/ovn.sh env`); Open vSwitch gets a
 * folder of its own, OVS_RUNDIR, where ovs-vsctl looks for `db.sock` and where ovs-vswitchd
 * puts the `br-int.mgmt` socket ovn-controller connects to.
 */
export interface OvnLayout {
  runDir: string;
  stateFile: string;
  logDir: string;
  /** Database files (OVS_DBDIR, OVN_DBDIR). */
  dbDir: string;
  /** OVS_SYSCONFDIR and OVN_SYSCONFDIR: nothing is read from the machine's /etc. */
  etcDir: string;
  /** OVN_RUNDIR. */
  ovnRunDir: string;
  /** OVS_RUNDIR. */
  ovsRunDir: string;
  nb: DatabaseFiles;
  sb: DatabaseFiles;
  vswitch: DatabaseFiles;
  northdCtl: string;
  northdPidfile: string;
  vswitchdCtl: string;
  vswitchdPidfile: string;
  controllerPidfile: string;
}

export interface DatabaseFiles {
  db: string;
  socket: string;
  ctl: string;
  pidfile: string;
}

export function ovnLayout(runDir: string): OvnLayout {
  // `purge` deletes the run folder: an empty path must not quietly mean the current folder.
  if (runDir.trim() === '') throw new Error('an OVN run folder must be named');
  const abs = path.resolve(runDir);
  const dbDir = path.join(abs, 'db');
  const ovsRunDir = path.join(abs, 'ovs');
  const files = (dir: string, db: string, base: string): DatabaseFiles => ({
    db: path.join(dbDir, db),
    socket: path.join(dir, `${base}.sock`),
    ctl: path.join(dir, `${base}.ctl`),
    pidfile: path.join(dir, `${base}.pid`),
  });
  return {
    runDir: abs,
    stateFile: path.join(abs, 'state.json'),
    logDir: path.join(abs, 'logs'),
    dbDir,
    etcDir: path.join(abs, 'etc'),
    ovnRunDir: abs,
    ovsRunDir,
    nb: files(abs, 'ovnnb_db.db', 'ovnnb_db'),
    sb: files(abs, 'ovnsb_db.db', 'ovnsb_db'),
    // `db.sock` is where ovs-vsctl, ovs-vswitchd and ovn-controller look by default.
    vswitch: {
      db: path.join(dbDir, 'conf.db'),
      socket: path.join(ovsRunDir, 'db.sock'),
      ctl: path.join(ovsRunDir, 'ovsdb-server.ctl'),
      pidfile: path.join(ovsRunDir, 'ovsdb-server.pid'),
    },
    northdCtl: path.join(abs, 'ovn-northd.ctl'),
    northdPidfile: path.join(abs, 'ovn-northd.pid'),
    vswitchdCtl: path.join(ovsRunDir, 'ovs-vswitchd.ctl'),
    vswitchdPidfile: path.join(ovsRunDir, 'ovs-vswitchd.pid'),
    controllerPidfile: path.join(abs, 'ovn-controller.pid'),
  };
}

/**
 * ovn-controller 23.03 has no --unixctl option: its control socket is named after its PID in
 * OVN_RUNDIR.
 */
export function controllerCtl(layout: OvnLayout, pid: number): string {
  return path.join(layout.ovnRunDir, `ovn-controller.${String(pid)}.ctl`);
}

/** The instance `hack/ovn.sh` runs for development; tests start their own elsewhere. */
export function devOvnLayout(): OvnLayout {
  return ovnLayout(path.join(repoRoot, '.local', 'ovn'));
}
