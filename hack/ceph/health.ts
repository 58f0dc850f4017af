// When a cluster is usable: `ceph status` says HEALTH_OK already while the manager and the OSD
// are still starting (nothing is wrong yet, nothing is reported either), so health alone is
// not enough.

/** The parts of `ceph status --format json` (16.2) this reads. */
export interface CephStatusJson {
  fsid?: string;
  health?: {
    status?: string;
    checks?: Record<string, { severity?: string; summary?: { message?: string } }>;
  };
  quorum_names?: string[];
  mgrmap?: { available?: boolean };
  osdmap?: { num_osds?: number; num_up_osds?: number; num_in_osds?: number };
  pgmap?: { num_pgs?: number; pgs_by_state?: { state_name?: string; count?: number }[] };
}

/**
 * Health checks that may stand while the cluster is usable. None: the configuration
 * (`renderConfig`) turns off the warnings a one-OSD, one-replica cluster on a shared disk
 * would raise (POOL_NO_REDUNDANCY, MON_DISK_LOW, AUTH_INSECURE_GLOBAL_ID_RECLAIM_ALLOWED), so
 * any check that appears is news.
 */
export const toleratedChecks: readonly string[] = [];

export interface CephReadiness {
  ready: boolean;
  /** What is not there yet, for a timeout's message; empty when ready. */
  waitingFor: string[];
}

/**
 * Usable: health OK (or only tolerated checks), the monitor in quorum, a manager active, the
 * expected number of OSDs up and in, every placement group active+clean.
 */
export function cephReadiness(
  s: CephStatusJson,
  osds: number,
  tolerated: readonly string[] = toleratedChecks,
): CephReadiness {
  const waitingFor: string[] = [];
  const checks = Object.entries(s.health?.checks ?? {});
  const news = checks.filter(([code]) => !tolerated.includes(code));
  const status = s.health?.status ?? 'no health reported';
  if (status !== 'HEALTH_OK' && (status !== 'HEALTH_WARN' || news.length > 0)) {
    const detail = news.map(([code, c]) => `${code}: ${c.summary?.message ?? '?'}`).join('; ');
    waitingFor.push(detail ? `${status} (${detail})` : status);
  }
  if ((s.quorum_names ?? []).length === 0) waitingFor.push('a monitor quorum');
  if (s.mgrmap?.available !== true) waitingFor.push('an active manager');
  const { num_osds = 0, num_up_osds = 0, num_in_osds = 0 } = s.osdmap ?? {};
  if (num_osds < osds || num_up_osds < osds || num_in_osds < osds) {
    waitingFor.push(
      `${String(osds)} OSD(s) up and in (${String(num_osds)} known, ${String(num_up_osds)} up, ${String(num_in_osds)} in)`,
    );
  }
  const pgs = s.pgmap?.num_pgs ?? 0;
  const clean = (s.pgmap?.pgs_by_state ?? [])
    .filter((p) => p.state_name === 'active+clean')
    .reduce((sum, p) => sum + (p.count ?? 0), 0);
  if (clean < pgs) {
    const states = (s.pgmap?.pgs_by_state ?? [])
      .map((p) => `${String(p.count ?? 0)} ${p.state_name ?? '?'}`)
      .join(', ');
    waitingFor.push(`placement groups active+clean (${states})`);
  }
  return { ready: waitingFor.length === 0, waitingFor };
}

/** The parts of `ceph daemon <socket> status` (16.2) of the OSD and the manager this reads. */
export interface DaemonStatusJson {
  /** The OSD's: `booting`, then `active` once the OSD map has it up. */
  state?: string;
  /** The manager's: its gid, as `inst.name.num`. */
  inst?: { name?: { num?: number } };
}

/** The parts of `ceph mgr dump` this reads. */
export interface MgrDumpJson {
  active_gid?: number;
  available?: boolean;
}

/**
 * What the OSD and the manager say about themselves. The monitor's maps alone can describe a
 * previous process: a manager stays "available" until its beacons are missed for 30 s, and a
 * killed OSD stays "up" for 15 minutes when it has no peer to report it down. So a restarted
 * OSD counts once it says `active` itself, a restarted manager once the active gid is its own.
 * `undefined` for a daemon whose admin socket did not answer.
 */
export function daemonsWaitingFor(
  osd: DaemonStatusJson | undefined,
  mgr: DaemonStatusJson | undefined,
  mgrDump: MgrDumpJson | undefined,
): string[] {
  const waitingFor: string[] = [];
  if (osd?.state !== 'active') waitingFor.push(`osd.0 to be active (${osd?.state ?? 'no answer'})`);
  const gid = mgr?.inst?.name?.num;
  if (gid === undefined || gid === 0 || mgrDump?.active_gid !== gid || mgrDump.available !== true) {
    waitingFor.push(
      `mgr.x to be the active manager (its gid ${String(gid ?? 'unknown')}, active ${String(mgrDump?.active_gid ?? 'unknown')})`,
    );
  }
  return waitingFor;
}

/** The parts of `ceph osd dump` this reads. */
export interface OsdDumpJson {
  osds?: { osd?: number; up?: number; up_from?: number }[];
}

/** The parts of `ceph pg dump pgs` (16.2) this reads. */
export interface PgDumpJson {
  pg_stats?: { pgid?: string; reported_epoch?: number; acting_primary?: number }[];
}

/**
 * Placement-group states the manager still holds from an OSD process that is gone. A killed
 * OSD's last reports say active+clean until its successor has peered and reported, and that
 * successor says `active` as soon as the OSD map has it up, before it reports; so right after
 * a restart `ceph status` can show a clean cluster that then turns to peering. A PG counts once
 * its primary reported it in the epoch that primary came up or later.
 */
export function staleReportsWaitingFor(osdDump: OsdDumpJson, pgDump: PgDumpJson): string[] {
  const upFrom = new Map(
    (osdDump.osds ?? []).filter((o) => o.up === 1).map((o) => [o.osd, o.up_from ?? 0]),
  );
  const stale = (pgDump.pg_stats ?? []).filter((pg) => {
    const since = upFrom.get(pg.acting_primary);
    return since === undefined || (pg.reported_epoch ?? 0) < since;
  });
  if (stale.length === 0) return [];
  const names = stale.map((pg) => pg.pgid ?? '?');
  const shown = names.length > 4 ? [...names.slice(0, 4), '...'] : names;
  return [
    `placement groups reported by the running OSD (${String(stale.length)} last reported before it came up: ${shown.join(', ')})`,
  ];
}
