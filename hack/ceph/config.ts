import path from 'node:path';
import { daemonIds, type CephLayout } from './layout.ts';

/** The monitor's loopback ports: messenger v2 (what clients use) and v1 (older clients). */
export interface MonPorts {
  v2: number;
  v1: number;
}

/** `[v2:127.0.0.1:P2,v1:127.0.0.1:P1]`: the monitor address in ceph.conf and the monmap. */
export function monAddrVec(ports: MonPorts): string {
  return `[v2:127.0.0.1:${String(ports.v2)},v1:127.0.0.1:${String(ports.v1)}]`;
}

/** The OSD's BlueStore device: a sparse file of this size, created by the OSD's mkfs. */
export const osdBlockBytes = 20 * 2 ** 30;

/**
 * osd_memory_target's floor in this release (896 MiB; lower values are refused). An idle OSD
 * stays far below it; it caps what its caches may grow to under a benchmark.
 */
export const osdMemoryTargetBytes = 896 * 2 ** 20;

/** Where Debian's ceph-mgr package installs the manager's Python modules. */
export const systemMgrModuleDir = '/usr/share/ceph/mgr';

/**
 * The modules the manager loads: those 16.2 always runs (without one of them the cluster is
 * HEALTH_ERR, MGR_MODULE_ERROR), iostat (enabled in a new cluster by `mgr initial modules`),
 * and the two files they import. Loading the sixteen others as well (prometheus, restful,
 * zabbix, ...) doubled the manager's start time and memory (14 s and 307 MiB against 7.6 s and
 * 164 MiB here), for nothing RBD uses.
 */
export const mgrModules = [
  'mgr_module.py',
  'mgr_util.py',
  'balancer',
  'crash',
  'devicehealth',
  'orchestrator',
  'pg_autoscaler',
  'progress',
  'rbd_support',
  'status',
  'telemetry',
  'volumes',
  'iostat',
] as const;

/** Placement groups of a new pool: enough for one OSD; the autoscaler is off. */
export const poolPgNum = 8;

type Section = [name: string, settings: [key: string, value: string | number | boolean][]];

/**
 * ceph.conf for one single-host cluster. Everything binds to 127.0.0.1; every path is under
 * the run folder (Ceph's defaults are /var/lib/ceph, /var/run/ceph and /var/log/ceph); one OSD
 * holds every pool, so pools have one replica and no placement spreads across hosts.
 */
export function renderConfig(layout: CephLayout, fsid: string, ports: MonPorts): string {
  const { mon, mgr, osd } = daemonIds;
  const logs = (name: string) => path.join(layout.logDir, `${name}.log`);
  const sections: Section[] = [
    [
      'global',
      [
        ['fsid', fsid],
        ['mon host', monAddrVec(ports)],
        ['mon initial members', mon],
        ['public addr', '127.0.0.1'],
        ['cluster addr', '127.0.0.1'],
        ['public network', '127.0.0.1/32'],
        ['cluster network', '127.0.0.1/32'],
        ['auth cluster required', 'cephx'],
        ['auth service required', 'cephx'],
        ['auth client required', 'cephx'],
        // Only clients that are patched against CVE-2021-20288; the default warns.
        ['auth allow insecure global id reclaim', false],
        // One OSD: one replica, a placement rule across OSDs rather than hosts.
        ['osd pool default size', 1],
        ['osd pool default min size', 1],
        ['osd crush chooseleaf type', 0],
        ['mon allow pool size one', true],
        ['mon warn on pool no redundancy', false],
        ['osd pool default pg num', poolPgNum],
        ['osd pool default pgp num', poolPgNum],
        // No placement-group churn after a pool is made: a pool is usable once it is created.
        ['osd pool default pg autoscale mode', 'off'],
        // Tests make a pool each and delete them afterwards.
        ['mon allow pool delete', true],
        ['mon max pg per osd', 2000],
        ['mgr initial modules', 'iostat'],
        // The machine's disk is shared with everything else; the default warns below 30 % free.
        ['mon data avail warn', 2],
        ['mon data avail crit', 1],
        // The daemons' admin sockets ($run_dir/$cluster-$name.asok).
        ['run dir', layout.socketDir],
      ],
    ],
    [
      'mon',
      [
        ['mon cluster log file', logs('cluster')],
        ['log file', logs('mon.$id')],
        ['crash dir', layout.crashDir],
      ],
    ],
    [`mon.${mon}`, [['mon data', layout.monData]]],
    [
      'mgr',
      [
        ['log file', logs('mgr.$id')],
        ['crash dir', layout.crashDir],
        ['mgr module path', layout.mgrModuleDir],
      ],
    ],
    [`mgr.${mgr}`, [['mgr data', layout.mgrData]]],
    [
      'osd',
      [
        ['log file', logs('osd.$id')],
        ['crash dir', layout.crashDir],
        ['osd objectstore', 'bluestore'],
        ['bluestore block create', true],
        ['bluestore block size', osdBlockBytes],
        ['osd memory target', osdMemoryTargetBytes],
      ],
    ],
    [`osd.${String(osd)}`, [['osd data', layout.osdData]]],
    ['client.admin', [['keyring', layout.adminKeyring]]],
  ];
  const lines = [
    '# Written by hack/ceph on every `up`: edits here are lost.',
    ...sections.flatMap(([name, settings]) => [
      '',
      `[${name}]`,
      ...settings.map(([key, value]) => `${key} = ${String(value)}`),
    ]),
  ];
  return lines.join('\n') + '\n';
}
