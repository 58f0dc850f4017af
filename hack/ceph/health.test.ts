import { describe, expect, it } from '@jest/globals';
import { cephReadiness, daemonsWaitingFor, type CephStatusJson } from './health.ts';

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
