import { describe, expect, it } from '@jest/globals';
import {
  cephReadiness,
  daemonsWaitingFor,
  staleReportsWaitingFor,
  type CephStatusJson,
} from './health.ts';

const usable: CephStatusJson = {
  health: { status: 'HEALTH_OK', checks: {} },
  quorum_names: ['a'],
  mgrmap: { available: true },
  osdmap: { num_osds: 1, num_up_osds: 1, num_in_osds: 1 },
  pgmap: { num_pgs: 9, pgs_by_state: [{ state_name: 'active+clean', count: 9 }] },
};

describe('when a Ceph cluster is usable', () => {
  it('is usable with health OK, a manager, the OSD up and every placement group clean', () => {
    expect(cephReadiness(usable, 1)).toEqual({ ready: true, waitingFor: [] });
    // A new cluster has no pool, so no placement group, yet.
    expect(cephReadiness({ ...usable, pgmap: { num_pgs: 0, pgs_by_state: [] } }, 1).ready).toBe(
      true,
    );
  });

  it('is not usable on HEALTH_OK alone while the manager and the OSD still start', () => {
    const starting: CephStatusJson = {
      ...usable,
      mgrmap: { available: false },
      osdmap: { num_osds: 1, num_up_osds: 0, num_in_osds: 1 },
    };
    expect(cephReadiness(starting, 1)).toEqual({
      ready: false,
      waitingFor: ['an active manager', '1 OSD(s) up and in (1 known, 0 up, 1 in)'],
    });
  });

  it('names each health check that stands, unless it is tolerated', () => {
    const warn: CephStatusJson = {
      ...usable,
      health: {
        status: 'HEALTH_WARN',
        checks: { MON_DISK_LOW: { severity: 'HEALTH_WARN', summary: { message: 'low' } } },
      },
    };
    expect(cephReadiness(warn, 1).waitingFor).toEqual(['HEALTH_WARN (MON_DISK_LOW: low)']);
    expect(cephReadiness(warn, 1, ['MON_DISK_LOW']).ready).toBe(true);
    // An error is never tolerated.
    const err: CephStatusJson = { ...warn, health: { ...warn.health, status: 'HEALTH_ERR' } };
    expect(cephReadiness(err, 1, ['MON_DISK_LOW']).ready).toBe(false);
  });

  it('waits for placement groups that are not active+clean', () => {
    const peering: CephStatusJson = {
      ...usable,
      pgmap: {
        num_pgs: 9,
        pgs_by_state: [
          { state_name: 'active+clean', count: 1 },
          { state_name: 'creating+peering', count: 8 },
        ],
      },
    };
    expect(cephReadiness(peering, 1).waitingFor).toEqual([
      'placement groups active+clean (1 active+clean, 8 creating+peering)',
    ]);
  });

  it('waits for a quorum and for a status at all', () => {
    expect(cephReadiness({}, 1).waitingFor).toEqual([
      'no health reported',
      'a monitor quorum',
      'an active manager',
      '1 OSD(s) up and in (0 known, 0 up, 0 in)',
    ]);
  });
});

describe('when a restarted OSD and manager count', () => {
  const osd = { state: 'active' };
  const mgr = { inst: { name: { num: 4102 } } };
  it('count once the OSD says active and the active manager gid is its own', () => {
    expect(daemonsWaitingFor(osd, mgr, { active_gid: 4102, available: true })).toEqual([]);
  });

  it("do not count on the monitor's map of the previous processes", () => {
    expect(
      daemonsWaitingFor({ state: 'booting' }, mgr, { active_gid: 4102, available: true }),
    ).toEqual(['osd.0 to be active (booting)']);
    expect(daemonsWaitingFor(undefined, undefined, { active_gid: 4102, available: true })).toEqual([
      'osd.0 to be active (no answer)',
      'mgr.x to be the active manager (its gid unknown, active 4102)',
    ]);
    // The map still names the previous manager as active.
    expect(
      daemonsWaitingFor(
        osd,
        { inst: { name: { num: 4200 } } },
        { active_gid: 4102, available: true },
      ),
    ).toEqual(['mgr.x to be the active manager (its gid 4200, active 4102)']);
    expect(daemonsWaitingFor(osd, mgr, { active_gid: 4102, available: false })).toHaveLength(1);
  });
});

describe('placement-group states after an OSD restart', () => {
  const osdDump = { osds: [{ osd: 0, up: 1, up_from: 24 }] };
  const pg = (pgid: string, reported: number) => ({
    pgid,
    reported_epoch: reported,
    acting_primary: 0,
  });

  it('count once the running OSD reported them', () => {
    expect(staleReportsWaitingFor(osdDump, { pg_stats: [pg('1.0', 24), pg('1.1', 25)] })).toEqual(
      [],
    );
  });

  it("do not count while they are the killed OSD's last reports", () => {
    expect(staleReportsWaitingFor(osdDump, { pg_stats: [pg('1.0', 25), pg('1.1', 21)] })).toEqual([
      'placement groups reported by the running OSD (1 last reported before it came up: 1.1)',
    ]);
    const many = ['1.0', '1.1', '1.2', '1.3', '1.4'].map((id) => pg(id, 9));
    expect(staleReportsWaitingFor(osdDump, { pg_stats: many })[0]).toContain(
      '(5 last reported before it came up: 1.0, 1.1, 1.2, 1.3, ...)',
    );
  });

  it('do not count with their primary down or unknown', () => {
    const down = { osds: [{ osd: 0, up: 0, up_from: 24 }] };
    expect(staleReportsWaitingFor(down, { pg_stats: [pg('1.0', 30)] })).toHaveLength(1);
    expect(
      staleReportsWaitingFor(osdDump, { pg_stats: [{ pgid: '1.0', reported_epoch: 30 }] }),
    ).toHaveLength(1);
  });
});
