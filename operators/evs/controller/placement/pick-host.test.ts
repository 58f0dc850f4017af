import { describe, expect, it } from '@jest/globals';
import { rendezvousScore, type HostView } from './hosts.ts';
import { pickHost, type PlacementRequest } from './pick-host.ts';

const GiB = 1024 ** 3;
const host = (name: string, over: Partial<HostView> = {}, free = 100 * GiB): HostView => ({
  name,
  ready: true,
  schedulable: true,
  pools: new Map([['p', { availableBytes: free, capacityBytes: 200 * GiB }]]),
  ...over,
});
const req = (over: Partial<PlacementRequest> = {}): PlacementRequest => ({
  key: 'uid-1',
  pool: 'p',
  poolScope: 'Shared',
  sizeBytes: 10 * GiB,
  ...over,
});

describe('pickHost', () => {
  it('takes only Ready, schedulable hosts that reach the pool', () => {
    const hosts = [
      host('down', { ready: false }),
      host('cordoned', { schedulable: false }),
      host('elsewhere', { pools: new Map() }),
      host('good'),
    ];
    expect(pickHost(req(), hosts)).toEqual({ host: 'good' });
    expect(pickHost(req(), hosts.slice(0, 3))).toMatchObject({ reason: 'NoHostForPool' });
  });

  it('spreads a Shared pool by key, and each key keeps its host', () => {
    const hosts = ['a', 'b', 'c', 'd'].map((n) => host(n));
    const chosen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const p = pickHost(req({ key: `uid-${String(i)}` }), hosts);
      expect(pickHost(req({ key: `uid-${String(i)}` }), [...hosts].reverse())).toEqual(p);
      chosen.add((p as { host: string }).host);
    }
    expect(chosen.size).toBe(4);
  });

  it('takes the highest rendezvous score among the hosts with the most room, in any order', () => {
    const frees = [30, 50, 10, 50, 50, 20, 50, 40];
    const hosts = frees.map((f, i) => host(`h${String(i)}`, {}, f * GiB));
    for (let k = 0; k < 20; k++) {
      const key = `uid-${String(k)}`;
      const [want] = hosts
        .filter((h) => h.pools.get('p')?.availableBytes === 50 * GiB)
        .map((h) => ({ name: h.name, score: rendezvousScore(key, h.name) }))
        .sort((a, b) => (a.score > b.score ? -1 : a.score < b.score ? 1 : 0));
      const local = req({ key, poolScope: 'Local' });
      expect(pickHost(local, hosts)).toEqual({ host: want?.name });
      expect(pickHost(local, [...hosts].reverse())).toEqual({ host: want?.name });
    }
  });

  it('puts a Local volume on the host with most room that fits', () => {
    const hosts = [
      host('small', {}, 5 * GiB),
      host('big', {}, 50 * GiB),
      host('mid', {}, 20 * GiB),
    ];
    expect(pickHost(req({ poolScope: 'Local' }), hosts)).toEqual({ host: 'big' });
    expect(pickHost(req({ poolScope: 'Local', sizeBytes: 60 * GiB }), hosts)).toMatchObject({
      reason: 'InsufficientCapacity',
    });
  });

  it('keeps a bound object where it is; a Shared one leaves a lost host', () => {
    const hosts = [host('a', { ready: false }), host('b')];
    expect(pickHost(req({ poolScope: 'Local', current: 'a' }), hosts)).toEqual({ host: 'a' });
    expect(pickHost(req({ current: 'a' }), hosts)).toEqual({ host: 'b' });
    expect(pickHost(req({ current: 'b' }), [host('a'), host('b', { schedulable: false })])).toEqual(
      { host: 'b' },
    );
  });

  it('follows a pinned source, and says why it cannot', () => {
    expect(pickHost(req({ poolScope: 'Local', pinnedTo: 'b' }), [host('a'), host('b')])).toEqual({
      host: 'b',
    });
    expect(
      pickHost(req({ poolScope: 'Local', pinnedTo: 'b' }), [
        host('a'),
        host('b', { ready: false }),
      ]),
    ).toMatchObject({
      reason: 'SourceHostUnavailable',
      message: expect.stringContaining('not Ready'),
    });
    expect(pickHost(req({ poolScope: 'Local', pinnedTo: 'z' }), [host('a')])).toMatchObject({
      reason: 'SourceHostNotFound',
    });
  });
});
