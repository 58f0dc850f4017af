import { describe, expect, it } from '@jest/globals';
import type { DeploymentSetObject, DeploymentSetSpec, InstanceObject } from '../../api/index.ts';
import { computeHost } from '../../scheduler/index.ts';
import { hostObject, type HostOptions } from '../../scheduler/schedule-fixture.ts';
import { setSpread } from './spread-status.ts';

const set = (spec: DeploymentSetSpec = {}): DeploymentSetObject => ({
  apiVersion: 'ecs.kcloud.io/v1alpha1',
  kind: 'DeploymentSet',
  metadata: { name: 'web', namespace: 't1' },
  spec,
});

let n = 0;
const member = (host?: string, o: { deleting?: boolean } = {}): InstanceObject => ({
  apiVersion: 'ecs.kcloud.io/v1alpha1',
  kind: 'Instance',
  metadata: {
    name: `i${String(++n)}`,
    namespace: 't1',
    ...(host !== undefined ? { labels: { 'ecs.kcloud.io/host': host } } : {}),
    ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
  },
  spec: {
    flavorRef: { name: 'small' },
    imageRef: { name: 'debian' },
    placement: { deploymentSetRef: { name: 'web' } },
  },
});

const hosts = (...list: [string, HostOptions?][]) =>
  list.map(([name, o]) => computeHost(hostObject(name, o)));

describe('the spread of a DeploymentSet', () => {
  it('counts its members, those placed and waiting, per host, the fullest first', () => {
    const s = setSpread(
      set({ maxPerDomain: 2 }),
      [member('h2'), member('h1'), member('h2'), member()],
      hosts(['h1'], ['h2'], ['h3']),
    );
    expect(s).toEqual({
      status: {
        members: 4,
        instances: 3,
        unscheduled: 1,
        domains: 2,
        placement: [
          { domain: 'host/h2', instances: 2 },
          { domain: 'host/h1', instances: 1 },
        ],
      },
    });
  });

  it('counts per rack, and under BestEffort a host without a rack on its own', () => {
    const hs = hosts(['h1', { rack: 'r1' }], ['h2', { rack: 'r1' }], ['h3']);
    const members = [member('h1'), member('h2'), member('h3')];
    expect(
      setSpread(set({ topology: 'Rack', policy: 'BestEffort', maxPerDomain: 5 }), members, hs)
        .status.placement,
    ).toEqual([
      { domain: 'rack/r1', instances: 2 },
      { domain: 'host/h3', instances: 1 },
    ]);
    expect(
      setSpread(set({ topology: 'Rack', maxPerDomain: 5 }), members, hs).status.placement,
    ).toEqual([{ domain: 'rack/r1', instances: 2 }]);
  });

  it('says a Strict set is violated when a domain holds more than maxPerDomain', () => {
    const s = setSpread(
      set({ maxPerDomain: 1 }),
      [member('h1'), member('h1')],
      hosts(['h1'], ['h2']),
    );
    expect(s.problem).toEqual({
      reason: 'SpreadViolated',
      message: expect.stringContaining('host/h1 holds 2'),
    });
    // BestEffort allows it.
    expect(
      setSpread(set({ policy: 'BestEffort' }), [member('h1'), member('h1')], hosts(['h1'])).problem,
    ).toBeUndefined();
  });

  it('says a Strict set cannot hold when its waiting members outnumber the room left', () => {
    const hs = hosts(['h1'], ['h2'], ['h3', { ready: false }], ['h4', { cordoned: true }]);
    const full = setSpread(set(), [member('h1'), member('h2'), member()], hs);
    expect(full.problem).toEqual({
      reason: 'InsufficientHosts',
      message: expect.stringContaining(
        '1 instance of the set wait for a host, but the usable hosts (2) have room for 0 more',
      ),
    });
    // Room on a host that is usable: the waiting one can go there.
    expect(setSpread(set(), [member('h1'), member()], hs).problem).toBeUndefined();
    // Racks: hosts without one do not count.
    const racks = hosts(['h1', { rack: 'r1' }], ['h2', { rack: 'r1' }], ['h3']);
    expect(
      setSpread(set({ topology: 'Rack' }), [member('h1'), member()], racks).problem,
    ).toMatchObject({
      reason: 'InsufficientRacks',
    });
  });

  it('does not count a member being deleted as waiting', () => {
    const s = setSpread(
      set(),
      [member('h1'), member(undefined, { deleting: true })],
      hosts(['h1']),
    );
    expect(s.status).toMatchObject({ members: 2, instances: 1, unscheduled: 0 });
    expect(s.problem).toBeUndefined();
  });
});
